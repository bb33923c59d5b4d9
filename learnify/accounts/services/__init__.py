"""Writes on accounts: teachers, classrooms, children, passwords and profiles.

Every function checks the actor against learnify/accounts/access.py, runs in a transaction and leaves an audit
entry. The modules split the work by what it changes; callers import this package (`services.enrol_child`).
"""

from learnify.accounts.services.children import (
    archive_child,
    enrol_child,
    enrol_children,
    generate_picture_code,
    record_child_viewed,
    reset_picture_code,
    suggest_kg_level,
    unlock_picture_sign_in,
    update_child,
)
from learnify.accounts.services.classrooms import (
    CLASS_CODE_ALPHABET,
    CLASS_CODE_LENGTH,
    assign_teacher_classrooms,
    create_classroom,
    generate_class_code,
    set_classroom_teachers,
    update_classroom,
)
from learnify.accounts.services.passwords import (
    change_password,
    check_current_password,
    reset_password,
    store_new_password,
)
from learnify.accounts.services.teachers import approve_teacher, create_teacher, register_teacher
from learnify.accounts.services.users import set_user_active, update_own_account, update_profile

__all__ = [
    "CLASS_CODE_ALPHABET",
    "CLASS_CODE_LENGTH",
    "approve_teacher",
    "archive_child",
    "assign_teacher_classrooms",
    "change_password",
    "check_current_password",
    "create_classroom",
    "create_teacher",
    "enrol_child",
    "enrol_children",
    "generate_class_code",
    "generate_picture_code",
    "record_child_viewed",
    "register_teacher",
    "reset_password",
    "reset_picture_code",
    "set_classroom_teachers",
    "set_user_active",
    "store_new_password",
    "suggest_kg_level",
    "unlock_picture_sign_in",
    "update_child",
    "update_classroom",
    "update_own_account",
    "update_profile",
]
