import { type Principal } from '../common/auth/principal';
import { ActorKind } from './ticket-event.entity';

/** Who a timeline entry is by: the agent, or the API key. */
export function actorOf(principal: Principal): { actorKind: ActorKind; actorId: string } {
  return principal.kind === 'agent' ? { actorKind: ActorKind.Agent, actorId: principal.agentId } : { actorKind: ActorKind.ApiKey, actorId: principal.apiKeyId };
}
