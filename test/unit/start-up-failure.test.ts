import { expect } from 'chai';
import { markFailure } from '../../src/db/availability.js';
import { DEFAULT_POSTGRES_BOUNDS } from '../../src/db/bounds.js';
import { startUpFailureLine } from '../../src/lifecycle/start-up-failure.js';

// The failures the process tests cannot bring about on this machine (a privileged port as root, a
// route that does not exist, a certificate, an embedded database that fails to open), as the
// drivers report them: each still one line naming the variable. The others are in
// test/process/start-up-failures.test.ts, through the real server.

const URL_WITH_PASSWORD = 'postgres://app:s3cret@db.internal:6432/todo?sslmode=verify-full&password=other';
const config = (databaseUrl?: string) => ({
  host: '127.0.0.1',
  port: 8000,
  databaseUrl,
  dbTimeouts: DEFAULT_POSTGRES_BOUNDS,
  dataDir: '/var/lib/todo',
});
const errorWith = (fields: Record<string, unknown>, message = 'failed') => Object.assign(new Error(message), fields);
const atConnect = (error: Error) => markFailure(error, { at: 'connect' });

describe('the start-up failure line', () => {
  it('names PORT or HOST for what listening refused', () => {
    const listen = (code: string, syscall = 'listen') => startUpFailureLine(errorWith({ code, syscall }), config());
    expect(listen('EACCES')).to.equal(
      'Cannot start: listening on PORT 8000 is not permitted (EACCES): choose a PORT above 1023',
    );
    expect(listen('EADDRNOTAVAIL')).to.equal(
      'Cannot start: HOST 127.0.0.1 is not an address of this machine (EADDRNOTAVAIL): choose another HOST',
    );
    expect(listen('EADDRINUSE', 'bind')).to.match(/^Cannot start: PORT 8000 is already in use on HOST 127\.0\.0\.1/);
    expect(listen('EMFILE')).to.equal('Cannot start: cannot listen on HOST 127.0.0.1, PORT 8000 (EMFILE)');
  });

  it('never shows the password of DATABASE_URL, in its user part or its parameters', () => {
    const line = startUpFailureLine(atConnect(errorWith({ code: 'ECONNREFUSED' })), config(URL_WITH_PASSWORD));
    expect(line).to.equal(
      'Cannot start: nothing accepts connections at db.internal:6432, the database server of DATABASE_URL (postgres://app:***@db.internal:6432/todo?sslmode=verify-full&password=***) (ECONNREFUSED)',
    );
  });

  it('tells the network failures apart', () => {
    const url = 'postgres://app@db.internal/todo';
    const line = (code: string) => startUpFailureLine(atConnect(errorWith({ code })), config(url));
    for (const code of ['ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH'])
      expect(line(code)).to.equal(
        `Cannot start: the database server db.internal:5432 of DATABASE_URL (${url}) cannot be reached (${code})`,
      );
    expect(line('EAI_AGAIN')).to.equal(
      `Cannot start: the database host "db.internal" in DATABASE_URL (${url}) was not found (EAI_AGAIN)`,
    );
    expect(line('SELF_SIGNED_CERT_IN_CHAIN')).to.equal(
      `Cannot start: the TLS certificate of db.internal:5432 was not accepted for DATABASE_URL (${url}) (SELF_SIGNED_CERT_IN_CHAIN: failed)`,
    );
  });

  it('names the TLS a server requires through a reject line too, and quotes other pg_hba refusals', () => {
    const url = 'postgres://app@db.internal/todo';
    const refused = (message: string) =>
      startUpFailureLine(atConnect(errorWith({ code: '28000' }, message)), config(url));
    expect(
      refused('pg_hba.conf rejects connection for host "10.0.0.1", user "app", database "todo", SSL off'),
    ).to.match(/^Cannot start: db\.internal:5432 accepts only TLS connections: add sslmode=require to DATABASE_URL/);
    expect(refused('no pg_hba.conf entry for host "10.0.0.1", user "app", database "todo", SSL encryption')).to.equal(
      `Cannot start: db.internal:5432 refused the connection of DATABASE_URL (${url}) (28000: no pg_hba.conf entry for host "10.0.0.1", user "app", database "todo", SSL encryption)`,
    );
  });

  it('says the embedded database could not be opened, naming DATA_DIR', () => {
    const error = atConnect(new Error('Aborted(). Build with -sASSERTIONS for more info.\nmore'));
    expect(startUpFailureLine(error, config())).to.equal(
      'Cannot start: the embedded database in DATA_DIR (/var/lib/todo) could not be opened: Aborted(). Build with -sASSERTIONS for more info.',
    );
  });

  it('leaves a bug its stack trace: no line for what is neither the settings’ nor the database’s', () => {
    expect(startUpFailureLine(new TypeError('x is undefined'), config())).to.equal(undefined);
    expect(startUpFailureLine(new TypeError('x is undefined'), config('postgres://app@db/todo'))).to.equal(undefined);
    expect(startUpFailureLine(new TypeError('x is undefined'), undefined)).to.equal(undefined);
  });
});
