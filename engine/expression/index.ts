/**
 * The topology expression language: a small, safe subset of JavaScript
 * expressions, validated against a whitelist and compiled to plain functions.
 * Grammar, functions and errors: docs/EXPRESSIONS.md.
 */
export { compileExpression, compileObject, checkExpression, expressionCache } from './compile.ts';
export type { CompileOptions, CompiledExpression } from './compile.ts';
export { FUNCTION_NAMES as EXPRESSION_FUNCTIONS, fnv1a32 } from './functions.ts';
