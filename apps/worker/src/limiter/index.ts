export { RateLimiter, type RateLimiterOptions, type AcquireOptions } from './rate-limiter';
export { measureWindows, type WindowMeasure } from './measure';
