/* _cetf: the C accelerator of the ETF codec (bridge/etf). This file: the
module, its setup and what both directions share; _cetf_decode.c and
_cetf_encode.c: the two directions; _cetf.h: their common declarations.

Theory of operation
-------------------
decode.py and encode.py are the reference: this module gives the same
results, byte for byte and object for object, and never has an opinion of
its own. It does the common work in C and hands everything else back to
the pure-Python code, in two ways:

 - a whole call goes back to Python (the same function, the same
   arguments) whenever C finds anything it does not decode or encode
   itself: bad input of any kind, an unusual argument, a term nested deeper
   than C recurses. Errors therefore come from Python, with their exact
   message, type and offset; C only has to tell a good input from a bad one
   and build the same value from the good ones. A decoder function that
   returns NULL with no exception set means "let Python do this call".
 - one term goes to Python when only that term is unusual: the decoder
   calls the reader of decode.py's _READERS for FLOAT_EXT and NEW_FUN_EXT,
   and _map when a map key is unhashable (it freezes the keys); the encoder
   calls encode.py's _encode for every value it does not encode itself
   (subclasses, values out of C's range, values that do not encode at all,
   which raises the error Python's encode raises).

Values are built through the classes of terms.py (Pid(...), BitBinary(...),
ImproperList(...), Export(...), atom()), except references, which decode.py
also builds without __init__, slot by slot: here the slots are written
through the offsets of their member descriptors.

Decoding keeps two caches of its own, as decode.py does: raw atom names to
their value, and the exact bytes of a pid or port to the (shared) object.
Both are direct-mapped tables of fixed size, so hostile input cannot make
them grow.

Python's recursion limit
------------------------
Python's codec uses Python frames, this one almost none; where the pure
code would run out of frames, C must not succeed. On 3.11 to 3.14 C charges the
thread's recursion budget with the frames Python would be using: before it
calls back into Python (so a fun nested in funs fails where it fails in
Python), and, when encoding, for each container (four frames, the most the
pure encoder spends per level) and at the start (for the deepest leaf);
when decoding, it needs the frames of the pure decoder's deepest chain of
calls. When the budget is short, C hands the call to Python, which decides:
tests/test_etf_differential.py checks the two fail at the same depth.
*/

#include "_cetf.h"

/* The Python side, set by setup(). */
PyTypeObject *Atom_type, *Pid_type, *Reference_type, *Port_type, *BitBinary_type,
    *ImproperList_type, *Export_type, *Fun_type, *String_type, *FrozenList_type,
    *FrozenMap_type;
PyObject *atom_func;          /* terms.atom */
PyObject *py_decode, *py_decode_prefix, *py_readers, *py_map, *py_as_input;
PyObject *py_encode, *py_encode_term, *py_compress;
PyObject *zlib_decompressobj;
PyObject *default_max_depth, *default_max_size;
PyObject *s_max_depth, *s_max_size, *s_compressed, *s_append, *s_decompress,
    *s_eof, *s_unconsumed_tail, *s_unused_data, *s_join, *empty_bytes, *empty_tuple;
/* Offsets of the slots C reads or writes. */
Py_ssize_t off_pid_node, off_pid_id, off_pid_serial, off_pid_creation, off_pid_ext,
    off_ref_node, off_ref_creation, off_ref_ids, off_ref_ext,
    off_port_node, off_port_id, off_port_creation, off_port_ext,
    off_bit_data, off_bit_bits, off_il_items, off_il_tail,
    off_export_module, off_export_function, off_export_arity, off_fun_ext, off_fmap_pairs;
int ready;         /* setup() has run */
long long v3_port_limit = MAX_V3_PORT_NUMBER;

/* Whether an exception is one to pass on rather than turn into "let Python
   decide" (KeyboardInterrupt, SystemExit: not input's fault). */
int
must_propagate(void)
{
    PyObject *exc = PyErr_Occurred();
    return exc != NULL && !PyErr_GivenExceptionMatches(exc, PyExc_Exception);
}

/* keyword arguments: names[k] is matched against kwnames; any other name
   (or a repeat) returns -1, which hands the call to Python. */
int
parse_keywords(PyObject *kwnames, PyObject *const *values, PyObject **names, PyObject ***outs,
               int count)
{
    if (kwnames == NULL)
        return 0;
    for (Py_ssize_t k = 0; k < PyTuple_GET_SIZE(kwnames); k++) {
        PyObject *name = PyTuple_GET_ITEM(kwnames, k);
        int found = 0;
        for (int j = 0; j < count && !found; j++) {
            if (name == names[j] || PyUnicode_Compare(name, names[j]) == 0) {
                *outs[j] = values[k];
                found = 1;
            }
        }
        if (PyErr_Occurred())
            return -1;
        if (!found)
            return -1;
    }
    return 0;
}

/* The whole call made to the pure-Python function instead. */
PyObject *
handed_to_python(PyObject *function, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    if (PyErr_Occurred()) {
        if (must_propagate())
            return NULL;
        PyErr_Clear();
    }
#if FRAME_BUDGET && BUILTIN_HOLDS_FRAME
    /* A builtin holds a frame of the budget while it runs (CPython 3.11
       counts the call of a C function): give it back, so that the Python function
       runs with the frames it would have had if called directly. */
    PyThreadState *ts = PyThreadState_Get();
    ts->FRAMES_LEFT++;
    PyObject *result = PyObject_Vectorcall(function, args, (size_t)nargs, kwnames);
    ts->FRAMES_LEFT--;
    return result;
#else
    return PyObject_Vectorcall(function, args, (size_t)nargs, kwnames);
#endif
}

int
check_ready(void)
{
    if (!ready)
        PyErr_SetString(PyExc_RuntimeError, "bridge.etf._cetf.setup() has not been called");
    return ready;
}

static int
get_attr(PyObject *from, const char *name, PyObject **out)
{
    PyObject *value = PyObject_GetAttrString(from, name);
    if (value == NULL)
        return -1;
    Py_XSETREF(*out, value);
    return 0;
}

static int
get_type(PyObject *from, const char *name, PyTypeObject **out)
{
    PyObject *value = PyObject_GetAttrString(from, name);
    if (value == NULL)
        return -1;
    if (!PyType_Check(value)) {
        PyErr_Format(PyExc_TypeError, "%s is not a class", name);
        Py_DECREF(value);
        return -1;
    }
    Py_XSETREF(*out, (PyTypeObject *)value);
    return 0;
}

/* The offset of the slot `name` of `type` (a __slots__ member). */
static int
slot_offset(PyTypeObject *type, const char *name, Py_ssize_t *out)
{
    PyObject *descr = PyObject_GetAttrString((PyObject *)type, name);
    if (descr == NULL)
        return -1;
    int ok = Py_IS_TYPE(descr, &PyMemberDescr_Type)
             && ((PyMemberDescrObject *)descr)->d_member->type == T_OBJECT_EX;
    if (ok)
        *out = ((PyMemberDescrObject *)descr)->d_member->offset;
    Py_DECREF(descr);
    if (!ok) {
        PyErr_Format(PyExc_TypeError, "%s.%s is not a slot", type->tp_name, name);
        return -1;
    }
    return 0;
}

PyDoc_STRVAR(setup_doc,
"setup($module, terms, decode, encode, /)\n--\n\n"
"Connect the C codec to the Python one: the modules bridge.etf.terms,\n"
"bridge.etf.decode and bridge.etf.encode (their classes, and the functions\n"
"C hands calls and terms to).");

static PyObject *
c_setup(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 3) {
        PyErr_SetString(PyExc_TypeError, "setup(terms, decode, encode)");
        return NULL;
    }
    PyObject *terms = args[0], *dec = args[1], *enc = args[2], *zlib = NULL;
    ready = 0;
    if (get_type(terms, "Atom", &Atom_type) < 0 || get_type(terms, "Pid", &Pid_type) < 0
            || get_type(terms, "Reference", &Reference_type) < 0
            || get_type(terms, "Port", &Port_type) < 0
            || get_type(terms, "BitBinary", &BitBinary_type) < 0
            || get_type(terms, "ImproperList", &ImproperList_type) < 0
            || get_type(terms, "Export", &Export_type) < 0 || get_type(terms, "Fun", &Fun_type) < 0
            || get_type(terms, "String", &String_type) < 0
            || get_type(terms, "FrozenList", &FrozenList_type) < 0
            || get_type(terms, "FrozenMap", &FrozenMap_type) < 0
            || get_attr(terms, "atom", &atom_func) < 0
            || get_attr(dec, "decode", &py_decode) < 0
            || get_attr(dec, "decode_prefix", &py_decode_prefix) < 0
            || get_attr(dec, "_READERS", &py_readers) < 0 || get_attr(dec, "_map", &py_map) < 0
            || get_attr(dec, "_as_input", &py_as_input) < 0
            || get_attr(dec, "DEFAULT_MAX_DEPTH", &default_max_depth) < 0
            || get_attr(dec, "DEFAULT_MAX_SIZE", &default_max_size) < 0
            || get_attr(enc, "encode", &py_encode) < 0
            || get_attr(enc, "_encode", &py_encode_term) < 0
            || get_attr(enc, "_compress", &py_compress) < 0)
        return NULL;
    if (!PyList_CheckExact(py_readers) || PyList_GET_SIZE(py_readers) != 256) {
        PyErr_SetString(PyExc_TypeError, "decode._READERS is not a list of 256 readers");
        return NULL;
    }
    if (slot_offset(Pid_type, "node", &off_pid_node) < 0
            || slot_offset(Pid_type, "id", &off_pid_id) < 0
            || slot_offset(Pid_type, "serial", &off_pid_serial) < 0
            || slot_offset(Pid_type, "creation", &off_pid_creation) < 0
            || slot_offset(Pid_type, "ext", &off_pid_ext) < 0
            || slot_offset(Reference_type, "node", &off_ref_node) < 0
            || slot_offset(Reference_type, "creation", &off_ref_creation) < 0
            || slot_offset(Reference_type, "ids", &off_ref_ids) < 0
            || slot_offset(Reference_type, "ext", &off_ref_ext) < 0
            || slot_offset(Port_type, "node", &off_port_node) < 0
            || slot_offset(Port_type, "id", &off_port_id) < 0
            || slot_offset(Port_type, "creation", &off_port_creation) < 0
            || slot_offset(Port_type, "ext", &off_port_ext) < 0
            || slot_offset(BitBinary_type, "data", &off_bit_data) < 0
            || slot_offset(BitBinary_type, "bits", &off_bit_bits) < 0
            || slot_offset(ImproperList_type, "items", &off_il_items) < 0
            || slot_offset(ImproperList_type, "tail", &off_il_tail) < 0
            || slot_offset(Export_type, "module", &off_export_module) < 0
            || slot_offset(Export_type, "function", &off_export_function) < 0
            || slot_offset(Export_type, "arity", &off_export_arity) < 0
            || slot_offset(Fun_type, "ext", &off_fun_ext) < 0
            || slot_offset(FrozenMap_type, "pairs", &off_fmap_pairs) < 0)
        return NULL;
    if ((zlib = PyImport_ImportModule("zlib")) == NULL)
        return NULL;
    int failed = get_attr(zlib, "decompressobj", &zlib_decompressobj);
    Py_DECREF(zlib);
    if (failed)
        return NULL;
    /* Values cached from an earlier setup may be of other classes. */
    clear_decode_caches();
    ready = 1;
    Py_RETURN_NONE;
}

static const char set_port_form_doc[] =
    "set_port_form(always_v4)\n--\n\n"
    "Write every port as V4_PORT_EXT (OTP 26+), or as NEW_PORT_EXT when it fits (OTP 25).";

static PyObject *
c_set_port_form(PyObject *module, PyObject *arg)
{
    int always_v4 = PyObject_IsTrue(arg);
    if (always_v4 < 0)
        return NULL;
    v3_port_limit = always_v4 ? -1 : MAX_V3_PORT_NUMBER;
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"set_port_form", (PyCFunction)c_set_port_form, METH_O, set_port_form_doc},
    {"decode", (PyCFunction)(void (*)(void))c_decode, METH_FASTCALL | METH_KEYWORDS, decode_doc},
    {"decode_prefix", (PyCFunction)(void (*)(void))c_decode_prefix, METH_FASTCALL | METH_KEYWORDS,
     decode_prefix_doc},
    {"encode", (PyCFunction)(void (*)(void))c_encode, METH_FASTCALL | METH_KEYWORDS, encode_doc},
    {"setup", (PyCFunction)(void (*)(void))c_setup, METH_FASTCALL, setup_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT, "_cetf",
    "The C accelerator of bridge.etf: decode, decode_prefix and encode with the\n"
    "semantics of decode.py and encode.py (see the top of _cetf.c).",
    -1, methods, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC
PyInit__cetf(void)
{
    s_max_depth = PyUnicode_InternFromString("max_depth");
    s_max_size = PyUnicode_InternFromString("max_size");
    s_compressed = PyUnicode_InternFromString("compressed");
    s_append = PyUnicode_InternFromString("append");
    s_decompress = PyUnicode_InternFromString("decompress");
    s_eof = PyUnicode_InternFromString("eof");
    s_unconsumed_tail = PyUnicode_InternFromString("unconsumed_tail");
    s_unused_data = PyUnicode_InternFromString("unused_data");
    s_join = PyUnicode_InternFromString("join");
    empty_bytes = PyBytes_FromStringAndSize(NULL, 0);
    empty_tuple = PyTuple_New(0);
    if (!s_max_depth || !s_max_size || !s_compressed || !s_append || !s_decompress || !s_eof
            || !s_unconsumed_tail || !s_unused_data || !s_join || !empty_bytes || !empty_tuple)
        return NULL;
    return PyModule_Create(&module_def);
}
