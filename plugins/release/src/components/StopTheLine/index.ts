export { HaltBanner } from './HaltBanner';
export {
  StopTheLineError,
  StopTheLineSwitch,
  useStopTheLine,
} from './StopTheLineSwitch';
