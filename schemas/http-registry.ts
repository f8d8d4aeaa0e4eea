import { MaasflowError } from '../engine/errors.ts';
import type { SchemaRegistry } from './registry.ts';
import { HEADER_SIZE, MAGIC_BYTE } from './wire-format.ts';

export interface HttpRegistryOptions {
  /** Base URL of a Confluent-compatible Schema Registry, e.g. http://registry:8081 */
  url: string;
  username?: string;
  password?: string;
  timeoutMs?: number;
}

/**
 * Fetches writer schemas by wire id from a Confluent-compatible Schema
 * Registry (GET /schemas/ids/{id}) into the local registry, before a chunk is
 * decoded. A 404 leaves the id unknown, so those records go to the dead-letter
 * topic; network errors and 5xx fail the job as retriable (good records are
 * never dead-lettered because the registry was down).
 */
export class HttpSchemaFetcher {
  private readonly missing = new Set<number>();

  constructor(private readonly o: HttpRegistryOptions, private readonly registry: SchemaRegistry) {}

  /** Makes every schema id referenced by `values` (wire-format bytes) known, when the remote registry has it. */
  async ensure(values: readonly unknown[]): Promise<void> {
    const wanted = new Set<number>();
    for (const v of values) {
      if (!(v instanceof Uint8Array) || v.length < HEADER_SIZE || v[0] !== MAGIC_BYTE) continue;
      const id = ((v[1]! << 24) | (v[2]! << 16) | (v[3]! << 8) | v[4]!) >>> 0;
      if (!this.registry.hasId(id) && !this.missing.has(id)) wanted.add(id);
    }
    for (const id of wanted) await this.fetch(id);
  }

  private async fetch(id: number): Promise<void> {
    const url = `${this.o.url.replace(/\/+$/, '')}/schemas/ids/${id}`;
    const headers: Record<string, string> = { accept: 'application/vnd.schemaregistry.v1+json, application/json' };
    if (this.o.username !== undefined) headers.authorization = `Basic ${Buffer.from(`${this.o.username}:${this.o.password ?? ''}`).toString('base64')}`;
    let res: Response;
    try {
      res = await fetch(url, { headers, signal: AbortSignal.timeout(this.o.timeoutMs ?? 10_000) });
    } catch (err) {
      throw new MaasflowError('RUNTIME', `schema registry ${url}: ${(err as Error).message}`, { retriable: true, cause: err });
    }
    if (res.status === 404) {
      this.missing.add(id);
      return;
    }
    if (!res.ok) throw new MaasflowError('RUNTIME', `schema registry ${url}: HTTP ${res.status}`, { retriable: res.status >= 500 });
    const body = (await res.json()) as { schema?: unknown; schemaType?: string };
    if (body.schemaType !== undefined && body.schemaType !== 'AVRO') {
      this.missing.add(id);
      return;
    }
    if (typeof body.schema !== 'string') throw new MaasflowError('RUNTIME', `schema registry ${url}: response has no "schema" string`);
    this.registry.addWriterSchema(id, JSON.parse(body.schema) as object);
  }
}
