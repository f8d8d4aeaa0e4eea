import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MaasflowError } from '../../engine/errors.ts';
import { HttpSchemaFetcher } from '../../schemas/http-registry.ts';
import { SchemaRegistry } from '../../schemas/index.ts';

// A Confluent-compatible registry on loopback: id 900 is demo.Reading v1 under another id, 901 is missing, 902 fails.
const READING_V1 = { type: 'record', name: 'Reading', namespace: 'demo', fields: [{ name: 'sensor', type: 'string' }, { name: 'value', type: 'double' }, { name: 'ts', type: 'long' }] };
let server: http.Server;
let url = '';
const requests: string[] = [];

test.before(async () => {
  server = http.createServer((req, res) => {
    requests.push(`${req.url} ${req.headers.authorization ?? ''}`);
    if (req.url === '/schemas/ids/900') {
      res.writeHead(200, { 'content-type': 'application/vnd.schemaregistry.v1+json' });
      res.end(JSON.stringify({ schema: JSON.stringify(READING_V1) }));
    } else if (req.url === '/schemas/ids/902') {
      res.writeHead(503).end();
    } else res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error_code: 40403, message: 'Schema not found' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
test.after(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** Wire-format bytes: magic 0, the id, then the Avro body of a v1 Reading. */
function framed(id: number, registry: SchemaRegistry): Buffer {
  const local = Buffer.from(registry.encode('demo.Reading@1', { sensor: 'a', value: 1.5, ts: 7 }));
  const out = Buffer.from(local);
  out.writeUInt32BE(id, 1);
  return out;
}

test('a writer id unknown locally is fetched once (with basic auth) and then decodes into the reader schema', async () => {
  const registry = SchemaRegistry.load();
  const fetcher = new HttpSchemaFetcher({ url, username: 'u', password: 'p' }, registry);
  const value = framed(900, registry);
  await fetcher.ensure([value, value, Buffer.from('not avro')]);
  await fetcher.ensure([value]);
  assert.is(requests.filter((r) => r.startsWith('/schemas/ids/900')).length, 1, 'fetched once');
  assert.ok(requests.some((r) => r.includes(`Basic ${Buffer.from('u:p').toString('base64')}`)));
  const decoded = registry.decoder('demo.Reading@2')(value);
  assert.equal(decoded.ok ? JSON.parse(JSON.stringify(decoded.value)) : decoded, { sensor: 'a', value: 1.5, ts: 7, unit: 'C' });
});

test('an id the registry does not know stays unknown (the record goes to the dead-letter topic)', async () => {
  const registry = SchemaRegistry.load();
  const fetcher = new HttpSchemaFetcher({ url }, registry);
  const value = framed(901, registry);
  await fetcher.ensure([value]);
  const decoded = registry.decoder('demo.Reading@2')(value);
  assert.is(decoded.ok, false);
  assert.match(decoded.ok ? '' : decoded.reason, /unknown schema id 901/);
});

test('a registry that fails (5xx) is a retriable error, never a dead letter', async () => {
  const registry = SchemaRegistry.load();
  const fetcher = new HttpSchemaFetcher({ url }, registry);
  try {
    await fetcher.ensure([framed(902, registry)]);
    assert.unreachable('should throw');
  } catch (err) {
    assert.instance(err, MaasflowError);
    assert.is((err as MaasflowError).retriable, true);
    assert.match((err as Error).message, /HTTP 503/);
  }
});

test.run();
