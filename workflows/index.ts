export { runTask } from './run-task';
