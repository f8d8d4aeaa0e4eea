/**
 * One coded catalogue of errors. Every error says what went wrong and where;
 * `retriable` tells a retry helper whether trying again can help.
 */
export type ErrorCode =
  // topology files
  | 'TOPOLOGY_PARSE'
  | 'TOPOLOGY_SCHEMA'
  | 'TOPOLOGY_UNKNOWN_OPERATOR'
  | 'TOPOLOGY_UNKNOWN_CONNECTOR'
  | 'TOPOLOGY_UNKNOWN_INPUT'
  | 'TOPOLOGY_DUPLICATE_ID'
  | 'TOPOLOGY_CYCLE'
  | 'TOPOLOGY_UNKNOWN_SCHEMA'
  | 'TOPOLOGY_BAD_PARAMS'
  | 'TOPOLOGY_BAD_EXPRESSION'
  // schemas
  | 'SCHEMA_INVALID'
  | 'SCHEMA_NOT_FOUND'
  | 'SCHEMA_INCOMPATIBLE'
  | 'SCHEMA_REGISTRY_INVALID'
  // records
  | 'RECORD_DECODE'
  | 'RECORD_VALIDATE'
  // log
  | 'LOG_LOCKED'
  | 'LOG_CORRUPT'
  | 'LOG_UNKNOWN_TOPIC'
  | 'LOG_BAD_ARGUMENT'
  | 'LOG_IO'
  // runtime
  | 'CHECKPOINT_IO'
  | 'CHECKPOINT_MISMATCH'
  | 'RUNTIME'
  | 'CONFIG'
  // MaaS entry points
  | 'REQUEST_INVALID'
  | 'CHAT_TIMEOUT'
  | 'CHAT_CLOSED'
  // Teacher metrics (control/teacher)
  | 'METRIC_UNKNOWN'
  | 'METRIC_BAD_ARGUMENT'
  // models (registry, adapters)
  | 'MODEL_INVALID'
  | 'MODEL_LOAD'
  | 'INFERENCE_TIMEOUT'
  | 'INFERENCE_CANCELLED'
  | 'INFERENCE_BUSY'
  // control plane (control/tuner, control/manager, server)
  | 'PARAM_GUARD'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'UNAUTHORIZED';

export interface ErrorLocation {
  file?: string;
  line?: number;
  column?: number;
  /** JSON-pointer-like path inside the file, e.g. /operators/2/params/size */
  path?: string;
}

export class MaasflowError extends Error {
  readonly code: ErrorCode;
  readonly retriable: boolean;
  readonly location: ErrorLocation | undefined;

  constructor(code: ErrorCode, message: string, options: { location?: ErrorLocation; retriable?: boolean; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'MaasflowError';
    this.code = code;
    this.retriable = options.retriable ?? false;
    this.location = options.location;
  }

  /** `file:line path: message` as CONVENTIONS.md asks for configuration errors. */
  format(): string {
    return `${formatLocation(this.location)}${this.message} [${this.code}]`;
  }
}

export function formatLocation(loc: ErrorLocation | undefined): string {
  if (!loc) return '';
  let where = loc.file ?? '';
  if (loc.line !== undefined) where += `${where ? ':' : 'line '}${loc.line}${loc.column !== undefined ? `:${loc.column}` : ''}`;
  if (loc.path !== undefined) where += `${where ? ' ' : ''}${loc.path || '/'}`;
  return where ? `${where}: ` : '';
}

/** Several errors found in one validation pass (a file is reported whole, not first-error-only). */
export class ValidationErrors extends Error {
  readonly errors: readonly MaasflowError[];
  constructor(errors: readonly MaasflowError[]) {
    super(errors.map((e) => e.format()).join('\n'));
    this.name = 'ValidationErrors';
    this.errors = errors;
  }
}
