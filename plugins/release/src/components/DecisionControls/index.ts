export { DecisionControls, stageMode } from './DecisionControls';
