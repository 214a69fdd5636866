export enum AgentRole {
  Admin = 'admin',
  Agent = 'agent',
}

/** What an API key may be granted. Agents are governed by their role instead. */
export enum Scope {
  TicketsRead = 'tickets:read',
  TicketsWrite = 'tickets:write',
  NotificationsWrite = 'notifications:write',
  CampaignsWrite = 'campaigns:write',
  ContactsRead = 'contacts:read',
  ContactsWrite = 'contacts:write',
  AgentsRead = 'agents:read',
}

export interface AgentPrincipal {
  kind: 'agent';
  companyId: string;
  agentId: string;
  role: AgentRole;
}

export interface ApiKeyPrincipal {
  kind: 'api_key';
  companyId: string;
  apiKeyId: string;
  scopes: Scope[];
}

/** Who is calling. The company of every request comes from here and nowhere else. */
export type Principal = AgentPrincipal | ApiKeyPrincipal;
