import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { createPglite, pgliteKnex } from '../../src/db/database.js';
import { makeTemplate, seedFromTemplate } from '../../src/db/pglite-template.js';

describe('the embedded database template (a new DATA_DIR without initdb)', () => {
  let directory: string;
  let template: string;
  let pgdata: string;
  beforeEach(async () => {
    directory = await mkdtemp(path.join(os.tmpdir(), 'todo-template-'));
    template = path.join(directory, 'template');
    pgdata = path.join(directory, 'data', 'pgdata');
    await mkdir(path.dirname(pgdata));
  });
  afterEach(() => rm(directory, { recursive: true, force: true }));

  const fakeTemplate = async (files: Record<string, string>) => {
    await mkdir(path.join(template, 'base'), { recursive: true });
    for (const [name, text] of Object.entries(files)) await writeFile(path.join(template, name), text);
  };

  it('seeds a new database directory with a copy of the template, nothing left beside it', async () => {
    await fakeTemplate({ PG_VERSION: '18\n', 'base/1': 'catalog' });
    expect(await seedFromTemplate(pgdata, template)).to.equal(true);
    expect(await readFile(path.join(pgdata, 'base/1'), 'utf8')).to.equal('catalog');
    expect(await readdir(path.dirname(pgdata))).to.deep.equal(['pgdata']);
    expect(existsSync(path.join(template, 'PG_VERSION')), 'the template itself stays').to.equal(true);
  });

  it('never touches an existing database', async () => {
    await fakeTemplate({ PG_VERSION: '18\n', 'base/1': 'template' });
    await mkdir(pgdata);
    await writeFile(path.join(pgdata, 'PG_VERSION'), 'mine');
    expect(await seedFromTemplate(pgdata, template)).to.equal(false);
    expect(await readdir(pgdata)).to.deep.equal(['PG_VERSION']);
  });

  it('ignores a template without PG_VERSION (half made) or none: PGlite then runs initdb', async () => {
    await fakeTemplate({ 'base/1': 'half' });
    expect(await seedFromTemplate(pgdata, template)).to.equal(false);
    expect(await seedFromTemplate(pgdata, path.join(directory, 'absent'))).to.equal(false);
    expect(existsSync(pgdata)).to.equal(false);
  });

  it('leaves no template when making it fails', async () => {
    const failure = new Error('initdb failed');
    const made = makeTemplate(async (making) => {
      await mkdir(making);
      await writeFile(path.join(making, 'PG_VERSION'), '18');
      throw failure;
    }, template);
    await made.then(
      () => expect.fail('makeTemplate succeeded'),
      (error: unknown) => expect(error).to.equal(failure),
    );
    expect(await readdir(directory)).to.deep.equal(['data']);
  });

  it('made by PGlite, gives a database that opens and takes writes, independent of the template', async function () {
    this.timeout(120_000);
    const made = await makeTemplate(async (making) => (await createPglite(making)).close(), template);
    expect(made).to.equal(true);
    expect(await makeTemplate(() => expect.fail('made twice'), template)).to.equal(false);
    for (const name of ['first', 'second']) {
      const database = path.join(directory, name);
      expect(await seedFromTemplate(database, template)).to.equal(true);
      const db = pgliteKnex(await createPglite(database));
      try {
        await db.schema.createTable('probe', (table) => table.text('name'));
        await db('probe').insert({ name });
        expect(await db('probe').pluck('name')).to.deep.equal([name]);
      } finally {
        await db.destroy();
      }
    }
  });
});
