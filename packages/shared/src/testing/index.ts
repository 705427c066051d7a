export * from './redis';
export * from './postgres';
export * from './wait';
export * from './processes';
