export { runTask } from './run-task';
export { warmPool } from './warm-pool';
export { operatorControls } from './operator-controls';
