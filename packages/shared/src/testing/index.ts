export * from './redis';
export * from './postgres';
export * from './wait';
export * from './processes';
export * from './receiver';
export * from './tcp-proxy';
export * from './pipeline';
