export * from './config';
export * from './events';
export * from './time';
export * from './report';
export * from './report-builder';
export * from './queues';
export * from './runs';
export * from './ids';
