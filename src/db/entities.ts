// Every entity the ORM knows, listed explicitly so that the built app and the tests discover the same set.
import { Design } from '../modules/designs/design.entity.js';
import { ManufacturerProfile, User } from '../modules/accounts/user.entity.js';

export const entities = [User, ManufacturerProfile, Design];
