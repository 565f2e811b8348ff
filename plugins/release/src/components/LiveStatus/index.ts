export { LiveStatusPanel } from './LiveStatusPanel';
export { AppStatusRow } from './AppStatusRow';
export { Sparkline } from './Sparkline';
export { useLiveStatus, type LiveStatusState } from './useLiveStatus';
