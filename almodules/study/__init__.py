"""The study: analysis of stored runs, rankings, the papers' claims and verdicts, embedding measures, diagnostics, the advisor's rule."""

from almodules.study.analysis import (SETTING, METHOD, METRICS, summarise_seeds, learning_curves, area_under_curve,
                                      paired, ips_difference_curves, labels_to_target, acquisition_latency, auc_gains,
                                      al_gain, gain_quality_correlation)
from almodules.study.label_cost import censored_label_cost
from almodules.study.rankings import (win_rates, win_rate_matrix, top_frequency, top_strategy_frequency, ips_accuracy,
                                      ips_win_frequency)
from almodules.study.summaries import (Summary, embedder_ranking, ips_wins, al_cycles, strategy_tops, tyrogue_costs,
                                       claim_verdicts, seed_noise, show)
from almodules.study.bootstrap import nested_bootstrap_interval, replicate_means
from almodules.study.claim_measures import (PAPER_STRATEGIES, CELL, TARGET, Evidence, ips_small_k0, coreset_ips_worse,
                                            ips_fades_with_k0, ips_fades_over_cycles, ips_gap_by_cycle,
                                            ips_gain_with_quality, accuracy_with_quality, tyrogue_label_cost,
                                            tyrogue_latency)
from almodules.study.strategy_measures import (EXPLORATION, EXPLOITATION, seed_win_rates, win_rate_of,
                                               ips_preconditions_entropy, win_rate_table, strategy_gains,
                                               top_varies_with_embedder, badge_gain_with_quality, transition_cycles,
                                               quality_speeds_transition)
from almodules.study.verdicts import (MINCELLS, MIN_DATASETS, VERDICTS, Claim, CLAIMS, bootstrap_interval,
                                      cluster_bootstrap_interval, natural_cells, seed_variance, verdict, claim_table)
from almodules.study.reproduce import (verify_runs, verify_across_families, avx2_environment, ranking_changes,
                                       VERIFY_COLUMNS, DEFAULT_TOLERANCE)
from almodules.study.diagnostics import (DIAGNOSTICS_VERSION, PROJECTION_MIN_POINTS, cached_frame, embedding_quality,
                                         embedding_quality_table, projection_2d, projections)
from almodules.study.embedding_measures import (MEASURE_THREADS, effective_rank, spectral_decay, anisotropy,
                                                intrinsic_dimension, hubness, cluster_silhouette, fisher_ratio,
                                                label_silhouette, logme, kmeans_nmi, few_shot_accuracy,
                                                sample_knn_accuracy)
from almodules.study.properties import (MEASURES_VERSION, LABEL_FREE, INITIAL_LABEL, LABELS_PER_CLASS, LABEL_BASED,
                                        label_free_steps, initial_label_steps, embedding_properties,
                                        embedding_properties_table)
from almodules.study.property_analysis import (cell_outcomes, measure_correlations, within_between, nearest_cells,
                                               leave_one_dataset_out)
from almodules.study.advisor import MIN_POOL, Advice, check_advice_inputs, reference_table, advise_pool

__all__ = ['SETTING', 'METHOD', 'METRICS', 'summarise_seeds', 'learning_curves', 'area_under_curve', 'paired',
           'ips_difference_curves', 'labels_to_target', 'acquisition_latency', 'auc_gains', 'al_gain',
           'gain_quality_correlation', 'censored_label_cost', 'win_rates', 'win_rate_matrix', 'top_frequency',
           'top_strategy_frequency', 'ips_accuracy', 'ips_win_frequency', 'Summary', 'embedder_ranking', 'ips_wins',
           'al_cycles', 'strategy_tops', 'tyrogue_costs', 'claim_verdicts', 'seed_noise', 'show', 'PAPER_STRATEGIES',
           'CELL', 'TARGET', 'Evidence', 'ips_small_k0', 'coreset_ips_worse', 'ips_fades_with_k0', 'ips_fades_over_cycles',
           'ips_gap_by_cycle', 'nested_bootstrap_interval', 'replicate_means', 'EXPLORATION', 'EXPLOITATION',
           'seed_win_rates', 'win_rate_of', 'ips_preconditions_entropy', 'win_rate_table', 'strategy_gains',
           'top_varies_with_embedder', 'ips_gain_with_quality', 'transition_cycles', 'quality_speeds_transition',
           'badge_gain_with_quality', 'accuracy_with_quality', 'tyrogue_label_cost', 'tyrogue_latency', 'MINCELLS',
           'MIN_DATASETS', 'VERDICTS', 'Claim', 'CLAIMS', 'bootstrap_interval', 'cluster_bootstrap_interval',
           'natural_cells', 'seed_variance', 'verdict', 'claim_table', 'verify_runs', 'verify_across_families',
           'avx2_environment', 'ranking_changes', 'VERIFY_COLUMNS', 'DEFAULT_TOLERANCE', 'DIAGNOSTICS_VERSION',
           'PROJECTION_MIN_POINTS', 'cached_frame', 'embedding_quality', 'embedding_quality_table', 'projection_2d',
           'projections', 'MEASURE_THREADS', 'effective_rank', 'spectral_decay', 'anisotropy', 'intrinsic_dimension',
           'hubness', 'cluster_silhouette', 'fisher_ratio', 'label_silhouette', 'logme', 'kmeans_nmi',
           'few_shot_accuracy', 'sample_knn_accuracy', 'MEASURES_VERSION', 'LABEL_FREE', 'INITIAL_LABEL',
           'LABELS_PER_CLASS', 'LABEL_BASED', 'label_free_steps', 'initial_label_steps', 'embedding_properties',
           'embedding_properties_table', 'cell_outcomes', 'measure_correlations', 'within_between', 'nearest_cells',
           'leave_one_dataset_out', 'MIN_POOL', 'Advice', 'check_advice_inputs', 'reference_table', 'advise_pool']
