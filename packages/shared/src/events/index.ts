export * from './types';
export * from './issues';
export { CampaignIdSchema, CAMPAIGN_ID_MESSAGE, TIMESTAMP_MESSAGE } from './common';
export * from './campaign-body';
export type { Converted, ParseOptions } from './convert';
export * from './guide';
export * from './eventbridge';
export * from './notification';
export * from './parse';
