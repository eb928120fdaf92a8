export { runTask } from './run-task';
export { warmPool } from './warm-pool';
