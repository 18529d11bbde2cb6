import { expect } from 'chai';
import type { SpecDocument } from '../../src/contract/spec-document.js';
import { loadSpec } from '../../src/contract/spec-document.js';
import { validatorSpec } from '../../src/http/validator-spec.js';

describe('the spec as the request validator reads it', () => {
  const withMapping = (mapping: Record<string, string>) =>
    ({
      paths: {},
      components: {
        schemas: {
          A: { type: 'object', required: ['op'], properties: { op: { type: 'string', enum: ['a'] } } },
          B: { type: 'object', required: ['op'], properties: { op: { type: 'string', enum: ['b'] } } },
          Either: {
            oneOf: [{ $ref: '#/components/schemas/A' }, { $ref: '#/components/schemas/B' }],
            discriminator: { propertyName: 'op', mapping },
          },
        },
      },
    }) as unknown as SpecDocument;
  const either = (spec: SpecDocument) =>
    (spec as unknown as { components: { schemas: Record<string, { discriminator: object }> } }).components.schemas
      .Either!;

  it('leaves out a mapping that says what its branches say, and nothing else', () => {
    const spec = withMapping({ a: '#/components/schemas/A', b: '#/components/schemas/B' });
    const read = validatorSpec(spec);
    expect(either(read).discriminator).to.deep.equal({ propertyName: 'op' });
    expect(either(spec).discriminator).to.have.property('mapping'); // the spec itself is left as it was
  });

  it('refuses a mapping that names a branch whose tag is another', () => {
    expect(() => validatorSpec(withMapping({ a: '#/components/schemas/B' }))).to.throw(/mapping a/);
  });

  it("reads the contract's own mapping (bulk actions by op) without complaint", () => {
    const read = validatorSpec(loadSpec()) as unknown as {
      components: { schemas: Record<string, { discriminator?: object }> };
    };
    expect(read.components.schemas.BulkAction!.discriminator).to.deep.equal({ propertyName: 'op' });
  });
});
