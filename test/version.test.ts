/** The version is written once, in package.json; the CLI and the HTTP client's User-Agent read it. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { VERSION } from '../src/core/version.js';
import { baseEnv, runOps } from './helpers/ops.js';

const packageVersion = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version;

test('ops --version prints the version of package.json', async () => {
  assert.equal(VERSION, packageVersion);
  const result = await runOps(['--version'], baseEnv());
  assert.equal(result.code, 0);
  assert.equal(result.stdout.trim(), packageVersion);
});
