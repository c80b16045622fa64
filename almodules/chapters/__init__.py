"""The book's chapters: their plans and parameters, executing them with papermill, student copies, advice from the study."""

from almodules.chapters.plans import (IPS_STUDY_K0, as_list, embedding_pairs, mteb_table, fully_supervised,
                                      al_configs, ips_study_configs, capped_k0, tyrogue_r_configs, latency_configs,
                                      tyrogue_plan, claims_plan, properties_plan, labeling_plan, PLANS, plan_configs,
                                      CELL_LISTS, merge_parameters)
from almodules.chapters.run_labels import param_labels, relabel
from almodules.chapters.parameters import (NotebookError, notebooks_dir, executed_dir, read_source, notebook_names,
                                           notebook_defaults, notebook_parameters, chapter_configs, book_configs,
                                           check_chapter_parameters, parse_parameter_value, load_book_parameters)
from almodules.chapters.preflight import ChapterNeeds, chapter_needs, code_digest, check_needs, build_report
from almodules.chapters.execution import run_notebooks, chapter_parameters, build_book
from almodules.chapters.student_copies import (strip_solutions, plain_directives, student_notebook,
                                               write_student_notebooks)
from almodules.chapters.advice import study_reference, advise, print_advice

__all__ = ['IPS_STUDY_K0', 'as_list', 'embedding_pairs', 'mteb_table', 'fully_supervised', 'al_configs',
           'ips_study_configs', 'capped_k0', 'tyrogue_r_configs', 'latency_configs', 'tyrogue_plan', 'claims_plan',
           'properties_plan', 'labeling_plan', 'PLANS', 'plan_configs', 'param_labels', 'relabel', 'CELL_LISTS',
           'merge_parameters', 'NotebookError', 'notebooks_dir', 'executed_dir', 'read_source', 'notebook_names',
           'notebook_defaults', 'notebook_parameters', 'chapter_configs', 'book_configs', 'check_chapter_parameters',
           'parse_parameter_value', 'load_book_parameters', 'ChapterNeeds', 'chapter_needs', 'code_digest',
           'check_needs', 'build_report', 'run_notebooks', 'chapter_parameters', 'build_book', 'strip_solutions',
           'plain_directives', 'student_notebook', 'write_student_notebooks', 'study_reference', 'advise',
           'print_advice']
