import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';

// An operator learns the settings from .env.example and the README's table: both must name every
// variable the server reads, and nothing it no longer reads.
const read = (path: string) => readFileSync(fileURLToPath(new URL(`../../${path}`, import.meta.url)), 'utf8');

/** The variables src/config.ts reads: every name it passes to a reader, and every `env.NAME`. */
function settingsRead(): string[] {
  const source = read('src/config.ts');
  const names = [...source.matchAll(/'([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+|HOST|PORT)'|env\.([A-Z][A-Z0-9_]+)/g)].map(
    (match) => match[1] ?? match[2]!,
  );
  return [...new Set(names)].sort();
}

/** The variables .env.example sets, one `NAME=` line each. */
const exampleSettings = () =>
  [...read('.env.example').matchAll(/^([A-Z][A-Z0-9_]*)=/gm)].map((match) => match[1]!).sort();

/** The variables named in the first cell of the README's Configuration table (`A` / `B` rows name two). */
function readmeSettings(): string[] {
  const section = read('README.md')
    .split('### Configuration')[1]!
    .split(/\n#{2,3} /)[0]!;
  const firstCells = [...section.matchAll(/^\| ([^|]+) \|/gm)].map((match) => match[1]!);
  return [
    ...new Set(firstCells.flatMap((cell) => [...cell.matchAll(/`([A-Z][A-Z0-9_]*)`/g)].map((m) => m[1]!))),
  ].sort();
}

describe('the settings documented', () => {
  const settings = settingsRead();

  it('finds the settings the server reads (the walk sees config.ts)', () => {
    expect(settings).to.include.members(['DATABASE_URL', 'HOST', 'PORT', 'BETTER_AUTH_SECRET', 'WEBHOOK_TIMEOUT_MS']);
  });

  it('.env.example sets each setting the server reads, and none other', () => {
    expect(exampleSettings()).to.deep.equal(settings);
  });

  it("the README's Configuration table names each setting the server reads, and none other", () => {
    expect(readmeSettings()).to.deep.equal(settings);
  });
});
