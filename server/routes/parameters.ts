import type { FastifyPluginAsync } from 'fastify';
import { initiatorOf } from '../auth.ts';
import type { ControlPlane } from '../control-plane.ts';
import { bodyCheck, ID_PATTERN, REASON } from '../validate.ts';

const ACTIVATE = {
  type: 'object',
  additionalProperties: false,
  required: ['version', 'reason'],
  properties: { version: { type: 'string', pattern: ID_PATTERN }, reason: REASON },
} as const;
const ROLLBACK = { type: 'object', additionalProperties: false, required: ['reason'], properties: { reason: REASON } } as const;

/** Parameter versions: list, activate one, roll back to the previous active one, and the audit log of every change. */
export function parameterRoutes(control: ControlPlane): FastifyPluginAsync {
  return async (app) => {
    const activateBody = bodyCheck<{ version: string; reason: string }>('POST /v1/parameters/activate', ACTIVATE);
    const rollbackBody = bodyCheck<{ reason: string }>('POST /v1/parameters/rollback', ROLLBACK);

    app.get('/v1/parameters', async () => control.parameters.list());
    app.get('/v1/parameters/audit', async () => control.parameters.audit());

    app.post('/v1/parameters/activate', async (request) => {
      const by = initiatorOf(request);
      const { version, reason } = activateBody(request.body);
      return control.parameters.activate(version, by, reason);
    });

    app.post('/v1/parameters/rollback', async (request) => {
      const by = initiatorOf(request);
      const { reason } = rollbackBody(request.body);
      return control.parameters.rollback(by, reason);
    });
  };
}
