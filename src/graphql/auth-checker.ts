// One auth checker for @Authorized(roles): no user is UNAUTHENTICATED, a wrong role is FORBIDDEN.
// Row ownership is not decided here; services check it.
import type { AuthChecker } from 'type-graphql';
import type { Context } from '../server/context.js';
import type { Role } from '../modules/accounts/role.js';
import { forbidden, unauthenticated } from './errors.js';

export const authChecker: AuthChecker<Context, Role> = ({ context }, roles) => {
  if (!context.user) throw unauthenticated();
  if (roles.length > 0 && !roles.includes(context.user.role)) {
    throw forbidden(`This needs a ${roles.map((r) => r.toLowerCase()).join(' or ')} account.`);
  }
  return true;
};
