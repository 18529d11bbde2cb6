import { expect } from 'chai';
import { userFromClaims } from '../../src/auth/claims.js';

describe('user from token claims', () => {
  const exp = 2_000_000_000;

  it('takes id, email and name', () => {
    expect(userFromClaims({ sub: 'u1', exp, email: 'a@b.c', name: 'A' })).to.deep.equal({
      id: 'u1',
      email: 'a@b.c',
      name: 'A',
    });
  });

  it('turns absent, non-string or unstorable email and name into null', () => {
    expect(userFromClaims({ sub: 'u1', exp, email: 5 })).to.deep.equal({ id: 'u1', email: null, name: null });
    expect(userFromClaims({ sub: 'u1', exp, email: 'a\u0000@b.c', name: '\udc00' })).to.deep.equal({
      id: 'u1',
      email: null,
      name: null,
    });
  });

  it('drops an email over 320 or a name over 255 characters, the limits the API documents', () => {
    expect(userFromClaims({ sub: 'u1', exp, email: `${'e'.repeat(314)}@b.com`, name: 'n'.repeat(255) })).to.deep.equal({
      id: 'u1',
      email: `${'e'.repeat(314)}@b.com`,
      name: 'n'.repeat(255),
    });
    expect(userFromClaims({ sub: 'u1', exp, email: `${'e'.repeat(315)}@b.com`, name: 'n'.repeat(256) })).to.deep.equal({
      id: 'u1',
      email: null,
      name: null,
    });
  });

  it('counts the subject in characters, not UTF-16 units', () => {
    expect(userFromClaims({ sub: '😀'.repeat(255), exp })?.id).to.equal('😀'.repeat(255));
  });

  const refused: [string, Record<string, unknown>][] = [
    ['no sub', { exp }],
    ['an empty sub', { sub: '', exp }],
    ['a numeric sub', { sub: 12, exp }],
    ['a sub longer than 255 characters', { sub: 'x'.repeat(256), exp }],
    ['a sub that is "." or ".." (not addressable in a URL)', { sub: '..', exp }],
    ['a sub with a NUL character', { sub: 'a\u0000b', exp }],
    ['a sub with an unpaired surrogate', { sub: 'a\ud800', exp }],
    ['a sub with a byte order mark (the embedded database would drop a leading one)', { sub: '\ufeffalice', exp }],
    ['no exp', { sub: 'u1' }],
    ['a string exp', { sub: 'u1', exp: '2000000000' }],
  ];
  for (const [name, claims] of refused) {
    it(`refuses ${name}`, () => expect(userFromClaims(claims)).to.equal(undefined));
  }
});
