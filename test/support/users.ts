// Builds test users through the public API with unique e-mails.
import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import { SignUpDocument, UpdateManufacturerProfileDocument, type DesignCategory, type Role } from '../generated/graphql.js';
import type { GqlClient } from './app.js';

export interface TestUser {
  id: string;
  token: string;
  email: string;
  displayName: string;
  role: Role;
}

export const PASSWORD = 'correct horse battery';

export function uniqueEmail(prefix = 'user'): string {
  return `${prefix}.${randomBytes(5).toString('hex')}@example.test`;
}

export async function signUp(gql: GqlClient, role: Role, displayName = `${role.toLowerCase()} ${randomBytes(3).toString('hex')}`): Promise<TestUser> {
  const email = uniqueEmail(role.toLowerCase());
  const res = await gql(SignUpDocument, { input: { email, password: PASSWORD, displayName, role } });
  expect(res.errors).toBeUndefined();
  expect(res.data?.signUp.errors).toEqual([]);
  const { token, user } = res.data!.signUp;
  return { id: user!.id, token: token!, email, displayName, role };
}

export async function signUpManufacturer(gql: GqlClient, categories: DesignCategory[], displayName?: string): Promise<TestUser> {
  const user = await signUp(gql, 'MANUFACTURER', displayName);
  const res = await gql(UpdateManufacturerProfileDocument, { input: { categories, materials: ['Gold', 'Silver'], region: 'Test City' } }, user.token);
  expect(res.data?.updateManufacturerProfile.errors).toEqual([]);
  return user;
}
