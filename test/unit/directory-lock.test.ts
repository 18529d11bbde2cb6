import { expect } from 'chai';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { acquireDirectoryLock, DirectoryInUseError } from '../../src/db/directory-lock.js';

describe('data directory lock', () => {
  let directory: string;
  beforeEach(async () => {
    directory = await mkdtemp(path.join(os.tmpdir(), 'todo-lock-'));
  });
  afterEach(() => rm(directory, { recursive: true, force: true }));

  it('is held with this process id and released', async () => {
    const release = await acquireDirectoryLock(directory);
    expect((await readFile(path.join(directory, 'server.pid'), 'utf8')).trim()).to.equal(String(process.pid));
    await release();
    await stat(path.join(directory, 'server.pid')).then(
      () => expect.fail('lock file left behind'),
      (error: NodeJS.ErrnoException) => expect(error.code).to.equal('ENOENT'),
    );
  });

  it('is refused while another live process holds it', async () => {
    const holder = spawn(process.execPath, ['-e', 'setInterval(() => {}, 60_000)'] /* alive until killed */, {
      stdio: 'ignore',
    });
    try {
      await writeFile(path.join(directory, 'server.pid'), `${holder.pid}\n`);
      await acquireDirectoryLock(directory).then(
        () => expect.fail('acquired a held lock'),
        (error: Error) => {
          expect(error).to.be.instanceOf(DirectoryInUseError);
          expect(error.message).to.include(directory).and.include(`process ${holder.pid}`);
        },
      );
    } finally {
      holder.kill('SIGKILL');
    }
  });

  it('is taken over when it names this very process (left by an earlier run with the same pid)', async () => {
    await writeFile(path.join(directory, 'server.pid'), `${process.pid}\n`);
    const release = await acquireDirectoryLock(directory);
    await release();
  });

  it('is taken over from a process that no longer runs', async () => {
    const finished = spawnSync(process.execPath, ['-e', 'process.exit(0)']);
    await writeFile(path.join(directory, 'server.pid'), `${finished.pid}\n`);
    const release = await acquireDirectoryLock(directory);
    expect((await readFile(path.join(directory, 'server.pid'), 'utf8')).trim()).to.equal(String(process.pid));
    await release();
  });
});
