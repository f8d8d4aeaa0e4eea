import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ValidationErrors } from '../../engine/errors.ts';
import { SchemaRegistry } from '../../schemas/index.ts';
import { expectError, tempRegistry } from './helpers.ts';

const readingV1 = {
  type: 'record', name: 'Reading', namespace: 'demo',
  fields: [{ name: 'sensor', type: 'string' }, { name: 'value', type: 'double' }],
};
const readingV2 = { ...readingV1, fields: [...readingV1.fields, { name: 'unit', type: 'string', default: 'C' }] };
const entry = (id: number, version: number, file = `demo/Reading.v${version}.avsc`) => ({ id, subject: 'demo.Reading', version, file });

/** Load a temp registry built from `files` and return what load threw (via expectError). */
function loadFrom(files: Record<string, string | object>, fn: (dir: string) => void): void {
  const { dir, cleanup } = tempRegistry(files);
  try {
    fn(dir);
  } finally {
    cleanup();
  }
}

test('a valid temp registry loads', () => {
  loadFrom({ 'registry.json': { schemas: [entry(1, 1), entry(2, 2)] }, 'demo/Reading.v1.avsc': readingV1, 'demo/Reading.v2.avsc': readingV2 }, (dir) => {
    const reg = SchemaRegistry.load(dir);
    assert.equal(reg.subjects(), ['demo.Reading']);
    assert.is(reg.get('demo.Reading').id, 2);
  });
});

test('missing registry.json', () => {
  loadFrom({}, (dir) => {
    const err = expectError(() => SchemaRegistry.load(dir), 'SCHEMA_REGISTRY_INVALID', 'registry index not found', join(dir, 'registry.json'));
    assert.is(err.location?.file, join(dir, 'registry.json'));
  });
});

test('invalid JSON in registry.json names the line', () => {
  const text = '{\n  "schemas": [\n    { "id": 1, "subject": "demo.Reading", "version": 1, "file": "demo/Reading.v1.avsc" },\n  ]\n}\n';
  loadFrom({ 'registry.json': text, 'demo/Reading.v1.avsc': readingV1 }, (dir) => {
    const err = expectError(() => SchemaRegistry.load(dir), 'SCHEMA_REGISTRY_INVALID', 'invalid JSON', 'registry.json:4');
    assert.is(err.location?.line, 4);
  });
  // the "Unexpected token" form, where V8 gives no position
  loadFrom({ 'registry.json': '{\n  "schemas":\n    }\n' }, (dir) => {
    const err = expectError(() => SchemaRegistry.load(dir), 'SCHEMA_REGISTRY_INVALID', 'invalid JSON');
    assert.is(err.location?.line, 3);
  });
});

test('registry.json of the wrong shape', () => {
  loadFrom({ 'registry.json': { schema: [] } }, (dir) => {
    expectError(() => SchemaRegistry.load(dir), 'SCHEMA_REGISTRY_INVALID', '"schemas" array');
  });
  loadFrom({ 'registry.json': { schemas: [{ id: 0, subject: 'demo Reading', version: 1.5, file: '../x.avsc', colour: 1 }] } }, (dir) => {
    const run = () => SchemaRegistry.load(dir);
    expectError(run, 'SCHEMA_REGISTRY_INVALID', 'id must be an integer', '/schemas/0/id');
    expectError(run, 'SCHEMA_REGISTRY_INVALID', 'subject must be a full Avro name', '/schemas/0/subject');
    expectError(run, 'SCHEMA_REGISTRY_INVALID', 'version must be an integer', '/schemas/0/version');
    expectError(run, 'SCHEMA_REGISTRY_INVALID', 'file must be a path relative', '/schemas/0/file');
    expectError(run, 'SCHEMA_REGISTRY_INVALID', 'unknown key "colour"');
  });
});

test('several problems are reported together as ValidationErrors', () => {
  loadFrom({ 'registry.json': { schemas: [{ id: 'x', subject: 'demo.Reading', version: 1, file: 'demo/Reading.v1.avsc' }, { id: 2 }] } }, (dir) => {
    try {
      SchemaRegistry.load(dir);
      assert.unreachable('should throw');
    } catch (err) {
      assert.instance(err, ValidationErrors);
      if (err instanceof ValidationErrors) assert.ok(err.errors.length >= 3, err.message);
    }
  });
});

test('missing schema file', () => {
  loadFrom({ 'registry.json': { schemas: [entry(1, 1)] } }, (dir) => {
    const err = expectError(() => SchemaRegistry.load(dir), 'SCHEMA_REGISTRY_INVALID', 'demo.Reading@1', 'schema file not found', join(dir, 'demo/Reading.v1.avsc'));
    assert.is(err.location?.path, '/schemas/0/file');
    assert.is(err.location?.line, 7, 'the line of "file" in the pretty-printed index');
  });
});

test('file not at <namespace>/<Name>.v<N>.avsc', () => {
  loadFrom({ 'registry.json': { schemas: [entry(1, 1), entry(2, 2, 'demo/Reading.v1.avsc')] }, 'demo/Reading.v1.avsc': readingV1 }, (dir) => {
    expectError(() => SchemaRegistry.load(dir), 'SCHEMA_REGISTRY_INVALID', 'demo.Reading@2', 'file must be "demo/Reading.v2.avsc"');
  });
});

test('invalid JSON in a schema file names the file and line', () => {
  loadFrom({ 'registry.json': { schemas: [entry(1, 1)] }, 'demo/Reading.v1.avsc': '{\n  "type": "record",\n  "name": "Reading"\n  "fields": []\n}' }, (dir) => {
    const err = expectError(() => SchemaRegistry.load(dir), 'SCHEMA_INVALID', 'Reading.v1.avsc:4:3', 'invalid JSON');
    assert.is(err.location?.file, join(dir, 'demo/Reading.v1.avsc'));
  });
});

test('avsc parse error names the file and avsc\'s reason', () => {
  const bad = { ...readingV1, fields: [{ name: 'sensor', type: 'strin' }] };
  loadFrom({ 'registry.json': { schemas: [entry(1, 1)] }, 'demo/Reading.v1.avsc': bad }, (dir) => {
    expectError(() => SchemaRegistry.load(dir), 'SCHEMA_INVALID', 'Reading.v1.avsc', 'invalid Avro schema', 'strin');
  });
  const ambiguous = { ...readingV1, fields: [{ name: 'x', type: ['int', 'long'] }] };
  loadFrom({ 'registry.json': { schemas: [entry(1, 1)] }, 'demo/Reading.v1.avsc': ambiguous }, (dir) => {
    expectError(() => SchemaRegistry.load(dir), 'SCHEMA_INVALID', 'invalid Avro schema', 'ambiguous');
  });
});

test('schema full name differs from the subject', () => {
  loadFrom({ 'registry.json': { schemas: [entry(1, 1)] }, 'demo/Reading.v1.avsc': { ...readingV1, namespace: 'demos' } }, (dir) => {
    const err = expectError(() => SchemaRegistry.load(dir), 'SCHEMA_INVALID', 'Reading.v1.avsc', '"demos.Reading" differs from the registry subject "demo.Reading"');
    assert.is(err.location?.line, 3, 'points at the "name" key');
  });
  loadFrom({ 'registry.json': { schemas: [entry(1, 1)] }, 'demo/Reading.v1.avsc': '"long"' }, (dir) => {
    expectError(() => SchemaRegistry.load(dir), 'SCHEMA_INVALID', 'must be a named record');
  });
});

test('duplicate ids', () => {
  const files = {
    'registry.json': { schemas: [entry(1, 1), entry(1, 2)] },
    'demo/Reading.v1.avsc': readingV1,
    'demo/Reading.v2.avsc': readingV2,
  };
  loadFrom(files, (dir) => {
    const err = expectError(() => SchemaRegistry.load(dir), 'SCHEMA_REGISTRY_INVALID', 'duplicate id 1', 'demo.Reading@2', 'demo.Reading@1');
    assert.is(err.location?.path, '/schemas/1');
  });
});

test('duplicate subject and version', () => {
  loadFrom({ 'registry.json': { schemas: [entry(1, 1), entry(2, 1)] }, 'demo/Reading.v1.avsc': readingV1 }, (dir) => {
    expectError(() => SchemaRegistry.load(dir), 'SCHEMA_REGISTRY_INVALID', 'duplicate subject and version demo.Reading@1', 'ids 1 and 2');
  });
});

test('versions not contiguous from 1', () => {
  loadFrom({ 'registry.json': { schemas: [entry(1, 1), entry(3, 3)] }, 'demo/Reading.v1.avsc': readingV1, 'demo/Reading.v3.avsc': readingV2 }, (dir) => {
    expectError(() => SchemaRegistry.load(dir), 'SCHEMA_REGISTRY_INVALID', 'versions of demo.Reading', 'got 1, 3', 'missing version 2');
  });
  loadFrom({ 'registry.json': { schemas: [entry(2, 2)] }, 'demo/Reading.v2.avsc': readingV2 }, (dir) => {
    expectError(() => SchemaRegistry.load(dir), 'SCHEMA_REGISTRY_INVALID', 'missing version 1');
  });
});

test('incompatible evolution: v2 cannot read v1 data', () => {
  const noDefault = { ...readingV1, fields: [...readingV1.fields, { name: 'unit', type: 'string' }] };
  loadFrom({ 'registry.json': { schemas: [entry(1, 1), entry(2, 2)] }, 'demo/Reading.v1.avsc': readingV1, 'demo/Reading.v2.avsc': noDefault }, (dir) => {
    const err = expectError(() => SchemaRegistry.load(dir), 'SCHEMA_INCOMPATIBLE', 'demo.Reading@2 cannot read data written with demo.Reading@1', 'unit');
    assert.is(err.location?.file, join(dir, 'demo/Reading.v2.avsc'));
  });
  const narrowed = { ...readingV1, fields: [{ name: 'sensor', type: 'string' }, { name: 'value', type: 'float' }] };
  loadFrom({ 'registry.json': { schemas: [entry(1, 1), entry(2, 2)] }, 'demo/Reading.v1.avsc': readingV1, 'demo/Reading.v2.avsc': narrowed }, (dir) => {
    expectError(() => SchemaRegistry.load(dir), 'SCHEMA_INCOMPATIBLE', 'demo.Reading@2', 'demo.Reading@1');
  });
});

test('fromEntries runs the same checks', () => {
  expectError(() => SchemaRegistry.fromEntries([{ id: 1, subject: 'demo.Reading', version: 1, schema: readingV1 }, { id: 1, subject: 'demo.Other', version: 1, schema: { ...readingV1, name: 'Other' } }]), 'SCHEMA_REGISTRY_INVALID', 'duplicate id 1');
  expectError(() => SchemaRegistry.fromEntries([{ id: 1, subject: 'demo.Reading', version: 1, schema: { ...readingV1, name: 'Nope' } }]), 'SCHEMA_INVALID', 'differs from the registry subject');
  expectError(() => SchemaRegistry.fromEntries([{ id: 1, subject: 'demo.Reading', version: 1, schema: { type: 'record' } }]), 'SCHEMA_INVALID', 'invalid Avro schema');
  expectError(
    () => SchemaRegistry.fromEntries([{ id: 1, subject: 'demo.Reading', version: 1, schema: readingV1 }, { id: 2, subject: 'demo.Reading', version: 2, schema: { ...readingV1, fields: [{ name: 'other', type: 'int' }] } }]),
    'SCHEMA_INCOMPATIBLE',
    'demo.Reading@2 cannot read data written with demo.Reading@1',
  );
  const reg = SchemaRegistry.fromEntries([{ id: 7, subject: 'demo.Reading', version: 1, schema: readingV1 }]);
  assert.is(reg.byId(7).file, '<memory>');
});

test.run();
