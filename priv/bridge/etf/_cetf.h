/* What the three files of the C codec share: _cetf.c (the module, setup, the
   theory of operation), _cetf_decode.c and _cetf_encode.c. */

#ifndef PYINET_CETF_H
#define PYINET_CETF_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

/* The thread state's count of the Python frames left (see the top of
   _cetf.c): recursion_remaining on 3.11, py_recursion_remaining from 3.12,
   where C calls have a budget of their own (3.14 bounds them by the C stack
   instead, and keeps py_recursion_remaining for Python frames). On 3.11 a call
   of a builtin also holds one of the Python frames (BUILTIN_HOLDS_FRAME). */
#if PY_VERSION_HEX >= 0x030B0000 && PY_VERSION_HEX < 0x030C0000
#define FRAME_BUDGET 1
#define FRAMES_LEFT recursion_remaining
#define BUILTIN_HOLDS_FRAME 1
#elif PY_VERSION_HEX >= 0x030C0000 && PY_VERSION_HEX < 0x030F0000
#define FRAME_BUDGET 1
#define FRAMES_LEFT py_recursion_remaining
#define BUILTIN_HOLDS_FRAME 0
#else
#define FRAME_BUDGET 0
#endif

enum {
    VERSION = 131, COMPRESSED = 80,
    NEW_FLOAT_EXT = 70, BIT_BINARY_EXT = 77, NEW_PID_EXT = 88, NEW_PORT_EXT = 89,
    NEWER_REFERENCE_EXT = 90, SMALL_INTEGER_EXT = 97, INTEGER_EXT = 98, FLOAT_EXT = 99,
    ATOM_EXT = 100, REFERENCE_EXT = 101, PORT_EXT = 102, PID_EXT = 103,
    SMALL_TUPLE_EXT = 104, LARGE_TUPLE_EXT = 105, NIL_EXT = 106, STRING_EXT = 107,
    LIST_EXT = 108, BINARY_EXT = 109, SMALL_BIG_EXT = 110, LARGE_BIG_EXT = 111,
    NEW_FUN_EXT = 112, EXPORT_EXT = 113, NEW_REFERENCE_EXT = 114, SMALL_ATOM_EXT = 115,
    MAP_EXT = 116, ATOM_UTF8_EXT = 118, SMALL_ATOM_UTF8_EXT = 119, V4_PORT_EXT = 120,
};

/* Deeper than this, C hands the call to Python (which keeps no C stack). */
#define MAX_NESTING 1000
#define INT32_MIN_ (-2147483647L - 1)
#define MAX_V3_PORT_NUMBER ((1L << 28) - 1)

/* The Python side, set by setup(). */
extern PyTypeObject *Atom_type, *Pid_type, *Reference_type, *Port_type, *BitBinary_type,
    *ImproperList_type, *Export_type, *Fun_type, *String_type, *FrozenList_type,
    *FrozenMap_type;
extern PyObject *atom_func;          /* terms.atom */
extern PyObject *py_decode, *py_decode_prefix, *py_readers, *py_map, *py_as_input;
extern PyObject *py_encode, *py_encode_term, *py_compress;
extern PyObject *zlib_decompressobj;
extern PyObject *default_max_depth, *default_max_size;
extern PyObject *s_max_depth, *s_max_size, *s_compressed, *s_append, *s_decompress,
    *s_eof, *s_unconsumed_tail, *s_unused_data, *s_join, *empty_bytes, *empty_tuple;
/* Offsets of the slots C reads or writes. */
extern Py_ssize_t off_pid_node, off_pid_id, off_pid_serial, off_pid_creation, off_pid_ext,
    off_ref_node, off_ref_creation, off_ref_ids, off_ref_ext,
    off_port_node, off_port_id, off_port_creation, off_port_ext,
    off_bit_data, off_bit_bits, off_il_items, off_il_tail,
    off_export_module, off_export_function, off_export_arity, off_fun_ext, off_fmap_pairs;
extern int ready;
/* Ports numbered up to this are written NEW_PORT_EXT, others V4_PORT_EXT;
   -1 writes all V4 (OTP 26+). set_port_form() sets it. */
extern long long v3_port_limit;

#define SLOT(obj, off) (*(PyObject **)((char *)(obj) + (off)))

static inline uint32_t
get_u32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline Py_ssize_t
get_u16(const unsigned char *p)
{
    return (Py_ssize_t)p[0] << 8 | p[1];
}

/* The frame budget (see the top of _cetf.c). */

static inline int
budget_take(int frames)
{
#if FRAME_BUDGET
    PyThreadState *ts = PyThreadState_Get();
    if (ts->FRAMES_LEFT < frames)
        return -1;
    ts->FRAMES_LEFT -= frames;
#else
    (void)frames;
#endif
    return 0;
}

static inline void
budget_give(int frames)
{
#if FRAME_BUDGET
    PyThreadState_Get()->FRAMES_LEFT += frames;
#else
    (void)frames;
#endif
}

static inline int
budget_has(int frames)
{
#if FRAME_BUDGET
    return PyThreadState_Get()->FRAMES_LEFT >= frames;
#else
    (void)frames;
    return 1;
#endif
}

int must_propagate(void);
int check_ready(void);
int parse_keywords(PyObject *kwnames, PyObject *const *values, PyObject **names,
                   PyObject ***outs, int count);
PyObject *handed_to_python(PyObject *function, PyObject *const *args, Py_ssize_t nargs,
                           PyObject *kwnames);

/* _cetf_decode.c */
extern const char decode_doc[], decode_prefix_doc[];
PyObject *c_decode(PyObject *module, PyObject *const *args, Py_ssize_t nargs,
                   PyObject *kwnames);
PyObject *c_decode_prefix(PyObject *module, PyObject *const *args, Py_ssize_t nargs,
                          PyObject *kwnames);
void clear_decode_caches(void);

/* _cetf_encode.c */
extern const char encode_doc[];
PyObject *c_encode(PyObject *module, PyObject *const *args, Py_ssize_t nargs,
                   PyObject *kwnames);

#endif
