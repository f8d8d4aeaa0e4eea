import type { FastifyPluginAsync } from 'fastify';
import { initiatorOf } from '../auth.ts';
import type { ControlPlane } from '../control-plane.ts';
import { bodyCheck, idParam, REASON } from '../validate.ts';

const DECISION = { type: 'object', additionalProperties: false, properties: { comment: REASON } } as const;

/** The manual-approval zone: changes the Manager waits on; approving one activates its version. */
export function approvalRoutes(control: ControlPlane): FastifyPluginAsync {
  return async (app) => {
    app.get('/v1/approvals', async () => control.approvals.list());
    for (const decision of ['approve', 'reject'] as const) {
      const route = `POST /v1/approvals/:id/${decision}`;
      const body = bodyCheck<{ comment?: string }>(route, DECISION, { whenAbsent: {} });
      app.post(`/v1/approvals/:id/${decision}`, async (request) => {
        const by = initiatorOf(request);
        const id = idParam(route, request.params, 'id');
        const { comment } = body(request.body);
        return control.approvals.decide(id, decision, by, comment ?? null);
      });
    }
  };
}
