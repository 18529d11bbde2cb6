import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

// The suite proves the project works on the Node.js it declares: the version pinned in .nvmrc (the
// one place it is pinned; the Makefile installs it when the machine's is older), or a later release
// of the same major, which is what package.json's `engines` range accepts.

type Version = readonly [number, number, number];

const ROOT = new URL('../../', import.meta.url);
const VERSION = /^(\d+)\.(\d+)\.(\d+)$/;

function parse(text: string): Version {
  const parts = VERSION.exec(text);
  if (!parts) throw new Error(`not an exact version: ${JSON.stringify(text)}`);
  return [Number(parts[1]), Number(parts[2]), Number(parts[3])];
}

function atLeast(version: Version, minimum: Version): boolean {
  const index = version.findIndex((part, i) => part !== minimum[i]);
  return index === -1 || version[index]! > minimum[index]!;
}

/** `^X.Y.Z`: X.Y.Z or any later X.y.z (the only form the project uses, so the only one read here). */
function satisfiesCaret(version: Version, range: string): boolean {
  expect(range, 'engines.node').to.match(/^\^\d+\.\d+\.\d+$/);
  const minimum = parse(range.slice(1));
  return version[0] === minimum[0] && atLeast(version, minimum);
}

const pinned = parse(readFileSync(new URL('.nvmrc', ROOT), 'utf8').trim());
const engines = (JSON.parse(readFileSync(new URL('package.json', ROOT), 'utf8')) as { engines: { node: string } })
  .engines.node;

describe('the Node.js runtime', () => {
  it('pins one exact version that the declared engines range accepts', () => {
    expect(satisfiesCaret(pinned, engines), `.nvmrc ${pinned.join('.')} within engines ${engines}`).to.equal(true);
  });

  it('runs the tests on the pinned version or a later one of its major', () => {
    const running = parse(process.versions.node);
    expect(running[0], `Node ${process.versions.node}, pinned ${pinned.join('.')}`).to.equal(pinned[0]);
    expect(atLeast(running, pinned), `Node ${process.versions.node}, pinned ${pinned.join('.')}`).to.equal(true);
    expect(satisfiesCaret(running, engines), `Node ${process.versions.node} within engines ${engines}`).to.equal(true);
  });

  it('is the Node that `node` and `npm` started by name run on', () => {
    // Tests and tools start `node`, `npm` and `tsc` by name: the PATH must lead them to this Node.
    expect(execFileSync('node', ['--version'], { encoding: 'utf8' }).trim()).to.equal(process.version);
    const npm = JSON.parse(execFileSync('npm', ['version', '--json'], { encoding: 'utf8' })) as { node: string };
    expect(`v${npm.node}`).to.equal(process.version);
  });
});
