import { expect } from 'chai';
import express, { type ErrorRequestHandler } from 'express';
import * as OpenApiValidator from 'express-openapi-validator';
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';

// The modules the validator itself loads: it looks their functions up at every call, so a
// counting wrapper put in their place sees every call it makes.
const validatorRequire = createRequire(createRequire(import.meta.url).resolve('express-openapi-validator'));
const pathToRegexpModule = validatorRequire('path-to-regexp') as { pathToRegexp: (...args: unknown[]) => unknown };
const urlModule = validatorRequire('url') as {
  parse: (url: string) => unknown;
  Url: new () => { parse: (url: string) => unknown };
};

const item = { type: 'object', properties: { id: { type: 'string' } } };
const answers = (schema: object) => ({
  '200': { description: 'ok', content: { 'application/json': { schema } } },
});
const idParameter = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };
const spec = {
  openapi: '3.0.3',
  info: { title: 'items', version: '1' },
  paths: {
    '/items': {
      get: {
        parameters: [{ name: 'limit', in: 'query', schema: { type: 'integer' } }],
        responses: answers({ type: 'array', items: item }),
      },
    },
    '/items/{id}': { get: { parameters: [idParameter], responses: answers(item) } },
    '/items/{id}/parts/{part}': {
      get: {
        parameters: [idParameter, { name: 'part', in: 'path', required: true, schema: { type: 'string' } }],
        responses: answers(item),
      },
    },
  },
};

/**
 * What patches/express-openapi-validator+5.6.2.patch changes (patches/README.md): the validator
 * compiled the path-to-regexp of every route of the spec on every request, and parsed every URL
 * with the costly `url.parse` to read a query it may not have. Fails when the patch is not applied.
 */
describe('the OpenAPI validator, per request', () => {
  let server: Server;
  let base: string;
  const calls = { pathToRegexp: 0, urlParse: 0 };
  const { pathToRegexp } = pathToRegexpModule;
  const { parse } = urlModule;

  before(async () => {
    pathToRegexpModule.pathToRegexp = (...args) => (calls.pathToRegexp++, pathToRegexp(...args));
    // What url.parse does, less its deprecation warning (printed once, for a caller outside node_modules)
    urlModule.parse = (url) => {
      calls.urlParse++;
      const parsed = new urlModule.Url();
      parsed.parse(url);
      return parsed;
    };
    const app = express();
    app.enable('case sensitive routing');
    app.use(OpenApiValidator.middleware({ apiSpec: spec as never, validateResponses: true }));
    app.get('/items', (req, res) => void res.json([{ id: JSON.stringify(req.query.limit) }]));
    app.get('/items/:id', (req, res) => void res.json({ id: req.params.id }));
    app.get('/items/:id/parts/:part', (req, res) => void res.json({ id: `${req.params.id}/${req.params.part}` }));
    const answerError: ErrorRequestHandler = (error: { status?: number; message: string }, _req, res, _next) =>
      void res.status(error.status ?? 500).json({ message: error.message });
    app.use(answerError);
    server = app.listen(0, '127.0.0.1');
    await once(server, 'listening');
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    pathToRegexpModule.pathToRegexp = pathToRegexp;
    urlModule.parse = parse;
    server.close();
    await once(server, 'close');
  });

  const get = async (path: string) => {
    const response = await fetch(base + path);
    return { status: response.status, body: (await response.json()) as { id?: string; message?: string } };
  };

  it("compiles each route's matcher once, on first use, not on every request", async () => {
    const paths = ['/items/1/parts/2', '/items/1', '/items?limit=3'];
    for (const path of [...paths, ...paths, ...paths]) expect((await get(path)).status, path).to.equal(200);
    expect(calls.pathToRegexp, 'one for each route of the spec').to.equal(Object.keys(spec.paths).length);
    expect((await get('/items/a%2Fb/parts/c')).body, 'path parameters still decoded').to.deep.equal({ id: 'a/b/c' });
  });

  it('answers as before: 404, 405, and 400 for a malformed URI', async () => {
    expect((await get('/items/1')).body).to.deep.equal({ id: '1' });
    expect((await get('/other')).status).to.equal(404);
    expect((await fetch(`${base}/items/1`, { method: 'DELETE' })).status).to.equal(405);
    expect(await get('/items/%E0%A4%A')).to.deep.equal({ status: 400, body: { message: "malformed uri'" } });
  });

  it('reads the raw query only when the URL has one', async () => {
    const before = calls.urlParse;
    expect((await get('/items/1')).status).to.equal(200);
    expect(calls.urlParse, 'without a query').to.equal(before);
    expect(await get('/items?limit=3')).to.deep.equal({ status: 200, body: [{ id: '3' }] });
    expect(calls.urlParse, 'with one').to.be.greaterThan(before);
    expect((await get('/items?limit=x')).status, 'and still validates it').to.equal(400);
  });
});
