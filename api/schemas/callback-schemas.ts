import { Type } from '@sinclair/typebox';

export { CallbackBody } from '../../domain/callback-body';

export const CallbackResponse = Type.Object({
  accepted: Type.Boolean(),
  reason: Type.Optional(Type.String()),
  workflowId: Type.String(),
  attempt: Type.Integer(),
});
