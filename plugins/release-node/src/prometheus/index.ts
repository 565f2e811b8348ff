export {
  PrometheusClient,
  PrometheusQueryError,
  metricNamesOf,
  type PrometheusAnswerMeta,
  type PrometheusCheckResult,
  type PrometheusClientOptions,
  type PrometheusInstantResult,
  type PrometheusLabels,
  type PrometheusPoint,
  type PrometheusSeries,
} from './PrometheusClient';
