export * from './constants.js';
export * from './errors.js';
export * from './common.js';
export * from './auth.js';
export * from './audit.js';
export * from './host-apps.js';
export * from './mini-programs.js';
export * from './signing-jobs.js';
