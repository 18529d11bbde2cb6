import { expect } from 'chai';
import { DateTime, IANAZone } from 'luxon';
import { loadContract } from '../helpers/contract.js';

interface TimeZoneSchema {
  readonly enum: (string | null)[];
  readonly 'x-sdk-nullable-enum'?: boolean;
}
const TIME_ZONE = (loadContract().components as { schemas: { TimeZone: TimeZoneSchema } }).schemas.TimeZone;

// The spec lists the zones a task may be in (TimeZone's enum), and the validator refuses any other:
// what the server accepts is exactly that list. Every zone listed must be one the server computes
// in, and the runtime must know no zone the list leaves out (a newer time zone database would add
// one: the list is then extended).
describe('time zones: the spec lists exactly the zones the server computes in', () => {
  const listed = TIME_ZONE.enum.filter((zone): zone is string => zone !== null);

  it('lists null first (x-sdk-nullable-enum), then each zone once, in order', () => {
    expect(TIME_ZONE.enum[0]).to.equal(null);
    expect(TIME_ZONE['x-sdk-nullable-enum']).to.equal(true);
    expect(listed).to.deep.equal([...new Set(listed)].sort());
  });

  it('every zone listed is one Luxon computes local dates in', () => {
    const unknown = listed.filter((zone) => !IANAZone.isValidZone(zone));
    expect(unknown).to.deep.equal([]);
    // A link computes as its zone: Asia/Calcutta is Asia/Kolkata.
    const at = (zone: string) => DateTime.fromISO('2026-12-01T12:00:00Z', { zone }).offset;
    expect(at('Asia/Calcutta')).to.equal(at('Asia/Kolkata'));
  });

  it('every zone the runtime knows is listed', () => {
    const missing = Intl.supportedValuesOf('timeZone').filter((zone) => !listed.includes(zone));
    expect(missing).to.deep.equal([]);
    for (const zone of ['UTC', 'Etc/UTC', 'Europe/Kyiv', 'Europe/Kiev', 'US/Eastern']) expect(listed).to.include(zone);
  });

  it('lists no name that is not an IANA zone, nor another spelling of one', () => {
    for (const name of ['Factory', 'PST', 'IST', 'system', 'local', 'europe/berlin', 'UTC+3', 'SystemV/AST4'])
      expect(listed, name).not.to.include(name);
  });
});
