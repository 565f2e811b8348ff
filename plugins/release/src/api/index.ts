export * from './ReleaseApi';
