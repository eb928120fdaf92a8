#!/usr/bin/env node
// Runs one of the example pipelines against a running stack (`npm start`): creates the pipeline from
// examples/pipelines/<name>.asl.json (idempotent), starts an execution with <name>.input.json, follows it to the
// end and prints its states and the dashboard link. Usage: node examples/pipelines/run.mjs <name> [api-url]
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const [name, api = process.env.SPILLWAY_API_URL ?? 'http://localhost:8080'] = process.argv.slice(2);
if (!name) {
  console.error('usage: node examples/pipelines/run.mjs <regional-reports|thumbnails|flaky-redrive> [api-url]');
  process.exit(2);
}
const headers = { 'content-type': 'application/json' };
if (process.env.SPILLWAY_API_KEY) headers.authorization = `Bearer ${process.env.SPILLWAY_API_KEY}`;

async function call(method, url, body) {
  const res = await fetch(`${api}${url}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  const data = text ? JSON.parse(text) : {};
  if (res.status >= 400) throw new Error(`${method} ${url}: ${res.status} ${data.code ?? ''} ${data.message ?? text}`);
  return data;
}

async function main() {
  const definition = JSON.parse(readFileSync(path.join(here, `${name}.asl.json`), 'utf8'));
  const input = JSON.parse(readFileSync(path.join(here, `${name}.input.json`), 'utf8'));
  if (typeof input.imageUrl === 'string') input.imageUrl = input.imageUrl.replace('http://localhost:8080', api);
  await call('POST', '/api/pipelines', { name, definition }).catch(async (err) => {
    if (!/ALREADY_EXISTS/.test(err.message)) throw err;
    await call('PUT', `/api/pipelines/${name}`, { definition });
  });
  const started = await call('POST', `/api/pipelines/${name}/executions`, { input });
  console.log(`started ${started.executionArn}`);
  console.log(`dashboard: ${api}/#/pipelines/${encodeURIComponent(name)}/${encodeURIComponent(started.name)}`);
  const deadline = Date.now() + 10 * 60_000;
  let execution;
  do {
    await new Promise((r) => setTimeout(r, 1000));
    execution = await call('GET', started.links.self);
  } while (execution.status === 'RUNNING' && Date.now() < deadline);
  console.log(`status: ${execution.status}${execution.error ? ` (${execution.error}: ${execution.cause})` : ''}`);
  for (const s of Object.values(execution.states)) {
    const placements = Object.entries(s.placements).map(([p, n]) => `${p}×${n}`).join(' ');
    console.log(`  ${s.name.padEnd(14)} ${s.status.padEnd(10)} attempts ${s.attempts} ${placements} $${s.costUsd.toFixed(9)}${s.error ? ` ${s.error}` : ''}`);
  }
  if (execution.output !== undefined) console.log(JSON.stringify(execution.output, null, 2));
  if (execution.redriveStatus === 'REDRIVABLE') {
    console.log(`redrive: curl -X POST ${api}${started.links.redrive}`);
  }
}

main().catch((err) => {
  console.error(err.message);
  process.exit(1);
});
