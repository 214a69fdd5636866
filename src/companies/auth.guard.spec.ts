import 'reflect-metadata';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type AuthRequirement } from '../common/auth/auth.decorators';
import { type AgentPrincipal, AgentRole, type ApiKeyPrincipal, Scope } from '../common/auth/principal';
import { AppException } from '../common/errors/app.exception';
import { type ErrorBody } from '../common/errors/error-codes';
import { assertAllowed } from './auth.guard';

const COMPANY = '7a6b5c4d-3e2f-4a1b-9c8d-665544332211';
const admin: AgentPrincipal = { kind: 'agent', companyId: COMPANY, agentId: 'a-admin', role: AgentRole.Admin };
const agent: AgentPrincipal = { kind: 'agent', companyId: COMPANY, agentId: 'a-agent', role: AgentRole.Agent };
const apiKey: ApiKeyPrincipal = { kind: 'api_key', companyId: COMPANY, apiKeyId: 'k-1', scopes: [Scope.TicketsRead, Scope.ContactsWrite] };

const ALL_REQUIREMENTS: AuthRequirement[] = [
  {},
  { admin: true },
  { agentOnly: true },
  ...Object.values(Scope).map((scope) => ({ scope })),
  { admin: true, scope: Scope.TicketsRead },
  { agentOnly: true, scope: Scope.TicketsRead },
];

function assertForbidden(fn: () => void, label: string): void {
  assert.throws(
    fn,
    (error: unknown) => {
      assert.ok(error instanceof AppException, `${label}: expected an AppException, got ${String(error)}`);
      assert.equal(error.getStatus(), 403, label);
      assert.equal((error.getResponse() as ErrorBody).code, 'forbidden', label);
      return true;
    },
    label,
  );
}

describe('assertAllowed', () => {
  it('an admin agent passes every requirement', () => {
    for (const requirement of ALL_REQUIREMENTS) assert.doesNotThrow(() => assertAllowed(admin, requirement), JSON.stringify(requirement));
  });

  it('a non-admin agent gets 403 on admin routes', () => {
    assertForbidden(() => assertAllowed(agent, { admin: true }), 'admin');
    assertForbidden(() => assertAllowed(agent, { admin: true, scope: Scope.TicketsRead }), 'admin + scope');
  });

  it('a non-admin agent passes agentOnly, scoped and plain authenticated routes', () => {
    assert.doesNotThrow(() => assertAllowed(agent, {}));
    assert.doesNotThrow(() => assertAllowed(agent, { agentOnly: true }));
    for (const scope of Object.values(Scope)) assert.doesNotThrow(() => assertAllowed(agent, { scope }), scope);
  });

  it('an API key passes a route naming a scope it holds', () => {
    for (const scope of apiKey.scopes) assert.doesNotThrow(() => assertAllowed(apiKey, { scope }), scope);
  });

  it('an API key gets 403 on a scope it lacks', () => {
    const lacking = Object.values(Scope).filter((scope) => !apiKey.scopes.includes(scope));
    assert.ok(lacking.length > 0);
    for (const scope of lacking) assertForbidden(() => assertAllowed(apiKey, { scope }), scope);
    assertForbidden(() => assertAllowed({ ...apiKey, scopes: [] }, { scope: Scope.TicketsRead }), 'a key with no scopes');
  });

  it('an API key gets 403 on admin, agentOnly and no-scope routes, even holding the scope', () => {
    assertForbidden(() => assertAllowed(apiKey, {}), 'no scope');
    assertForbidden(() => assertAllowed(apiKey, { admin: true }), 'admin');
    assertForbidden(() => assertAllowed(apiKey, { agentOnly: true }), 'agentOnly');
    assertForbidden(() => assertAllowed(apiKey, { admin: true, scope: Scope.TicketsRead }), 'admin + held scope');
    assertForbidden(() => assertAllowed(apiKey, { agentOnly: true, scope: Scope.TicketsRead }), 'agentOnly + held scope');
  });

  it('an API key holding every scope still cannot reach admin or agent-only routes', () => {
    const everything: ApiKeyPrincipal = { ...apiKey, scopes: Object.values(Scope) };
    for (const scope of Object.values(Scope)) assert.doesNotThrow(() => assertAllowed(everything, { scope }), scope);
    assertForbidden(() => assertAllowed(everything, { admin: true }), 'admin');
    assertForbidden(() => assertAllowed(everything, { agentOnly: true }), 'agentOnly');
    assertForbidden(() => assertAllowed(everything, {}), 'no scope');
  });
});
