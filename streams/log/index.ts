export { EmbeddedLog, type EmbeddedLogOptions } from './embedded-log.ts';
export type { LogRecord, LogRecordInput } from './frame.ts';
export type { TopicConfig } from './topic-meta.ts';
export type { RecoveryNote } from './segment.ts';
export type { FsyncMode } from './fs-util.ts';
export type { AssignCallback } from './group-coordinator.ts';
export { rangeAssign } from './group-coordinator.ts';
export { fnv1a32, partitionForKey } from './hash.ts';
