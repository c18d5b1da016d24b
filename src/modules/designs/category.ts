import { registerEnumType } from 'type-graphql';

export enum DesignCategory {
  RING = 'RING',
  NECKLACE = 'NECKLACE',
  EARRINGS = 'EARRINGS',
  BRACELET = 'BRACELET',
  PENDANT = 'PENDANT',
  BROOCH = 'BROOCH',
  OTHER = 'OTHER',
}
registerEnumType(DesignCategory, { name: 'DesignCategory' });
