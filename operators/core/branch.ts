import { compileExpression, type CompiledExpression } from '../../engine/expression/index.ts';
import { defineOperator, RECORD_VARIABLES } from '../definition.ts';

interface BranchParams { routes: Record<string, string>; mode?: 'first' | 'all' }

/**
 * branch: routes records to named output ports by predicate (`first`
 * matching route, or `all` matching routes). Records that match none go to
 * the `unmatched` port and are counted, never dropped silently.
 */
export const branchOperator = defineOperator<BranchParams>({
  type: 'branch',
  summary: 'Route records to named outputs by predicates',
  paramsSchema: {
    type: 'object',
    additionalProperties: false,
    required: ['routes'],
    properties: {
      routes: { type: 'object', minProperties: 1, additionalProperties: { type: 'string' } },
      mode: { enum: ['first', 'all'] },
    },
  },
  check: (p) =>
    Object.keys(p.routes).flatMap((name) =>
      name === 'unmatched'
        ? [{ path: `routes/${name}`, message: 'route name "unmatched" is reserved for the records that match no route' }]
        : /^[A-Za-z_][A-Za-z0-9_-]*$/.test(name)
          ? []
          : [{ path: `routes/${name}`, message: `route name "${name}" must start with a letter or _ and hold only letters, digits, _ and -` }],
    ),
  ports: (p) => [...Object.keys(p.routes), 'unmatched'],
  expressions: (p) => Object.entries(p.routes).map(([name, expr]) => ({ path: `routes/${name}`, expr, variables: RECORD_VARIABLES })),
  describe: (p) => ({ notes: `routes: ${Object.keys(p.routes).join(', ')} (${p.mode ?? 'first'} match)` }),
  create(p, ctx) {
    const routes: [string, CompiledExpression][] = Object.entries(p.routes).map(([name, expr]) => [name, compileExpression(expr, { variables: RECORD_VARIABLES })]);
    const all = p.mode === 'all';
    const unmatched = ctx.counter('branch_unmatched', 'records that matched no route');
    return {
      process(batch, _input, out) {
        const { values, timestamps, keys } = batch;
        for (let i = 0; i < values.length; i++) {
          const key = keys === null ? null : keys[i]!;
          let matched = false;
          for (const [port, pred] of routes) {
            if (!pred(values[i], key, timestamps[i])) continue;
            out.push(values[i], timestamps[i]!, key, port);
            matched = true;
            if (!all) break;
          }
          if (!matched) {
            unmatched.inc();
            out.push(values[i], timestamps[i]!, key, 'unmatched');
          }
        }
      },
    };
  },
});
