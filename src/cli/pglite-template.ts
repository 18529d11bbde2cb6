// Makes the empty embedded database that new DATA_DIRs start from (src/db/pglite-template.ts),
// once per install: `make run` runs it before its first start.
import { createPglite } from '../db/database.js';
import { makeTemplate, PGLITE_TEMPLATE } from '../db/pglite-template.js';

const made = await makeTemplate(async (directory) => {
  const instance = await createPglite(directory);
  await instance.close();
});
if (made) console.error(`Made the embedded database template in ${PGLITE_TEMPLATE}`);
