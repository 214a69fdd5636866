import { randomBytes } from 'node:crypto';
import { type HttpClient } from './http';

export interface CompanyFixture {
  companyId: string;
  adminId: string;
  adminEmail: string;
  adminToken: string;
  password: string;
}

export const PASSWORD = 'correct horse battery staple';

export const uniqueEmail = (label: string): string => `${label}.${randomBytes(4).toString('hex')}@example.test`;

export async function signupCompany(http: HttpClient, name = 'Acme'): Promise<CompanyFixture> {
  const email = uniqueEmail('admin');
  const res = await http.post('/v1/auth/signup', { body: { companyName: name, name: 'Ada Admin', email, password: PASSWORD } });
  if (res.status !== 201) throw new Error(`signup failed: ${res.status} ${res.text}`);
  return { companyId: res.body.company.id, adminId: res.body.agent.id, adminEmail: email, adminToken: res.body.accessToken, password: PASSWORD };
}

export async function createAgent(http: HttpClient, adminToken: string, role: 'admin' | 'agent' = 'agent'): Promise<{ id: string; email: string; token: string }> {
  const email = uniqueEmail(role);
  const created = await http.post('/v1/agents', { token: adminToken, body: { email, name: 'Sam Agent', password: PASSWORD, role } });
  if (created.status !== 201) throw new Error(`create agent failed: ${created.status} ${created.text}`);
  const login = await http.post('/v1/auth/login', { body: { email, password: PASSWORD } });
  if (login.status !== 200) throw new Error(`login failed: ${login.status} ${login.text}`);
  return { id: created.body.id, email, token: login.body.accessToken };
}

export async function createApiKey(http: HttpClient, adminToken: string, scopes: string[]): Promise<{ id: string; key: string }> {
  const res = await http.post('/v1/api-keys', { token: adminToken, body: { name: 'Shop backend', scopes } });
  if (res.status !== 201) throw new Error(`create api key failed: ${res.status} ${res.text}`);
  return { id: res.body.id, key: res.body.key };
}
