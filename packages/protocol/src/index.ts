export * from './errors.js';
export * from './dto.js';
export * from './bots.js';
export * from './widget-events.js';
export * from './operator.js';
