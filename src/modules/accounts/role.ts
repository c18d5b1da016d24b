import { registerEnumType } from 'type-graphql';

export enum Role {
  DESIGNER = 'DESIGNER',
  CONSUMER = 'CONSUMER',
  MANUFACTURER = 'MANUFACTURER',
}
registerEnumType(Role, { name: 'Role', description: 'What an account does on the marketplace.' });
