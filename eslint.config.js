// ESLint for the TypeScript in src/, test/, bench/ and db/: typescript-eslint's type-checked
// recommendations, run by `make lint` with zero warnings allowed. Formatting is Prettier's.
import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['generated/', 'dist/', 'dist.building.*/', 'docs/', 'data/', 'test-artifacts/', '.tools/', 'node_modules/'] },
  eslint.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // Handlers are async by contract (they return a Promise of their result) even when they await nothing.
      '@typescript-eslint/require-await': 'off',
      // `_name` marks a parameter or binding that is there for its position (Express's signatures, destructuring to omit).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
    },
  },
  {
    // chai's assertions are property reads (`expect(x).to.be.true`).
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-unused-expressions': 'off' },
  },
  {
    // These walk the bundled spec, an arbitrary JSON document, by its JSON Schema keywords: its
    // shape is what they check, so they read it as `any` (Json) rather than declare it twice.
    files: ['test/helpers/contract.ts', 'test/helpers/schema-arbitraries.ts', 'test/helpers/spec-conformance.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
    },
  },
  {
    files: ['**/*.cjs', '**/*.js'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { globals: { module: 'writable', require: 'readonly', process: 'readonly', console: 'readonly', __dirname: 'readonly' } },
  },
);
