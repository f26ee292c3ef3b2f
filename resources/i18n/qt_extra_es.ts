<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<!-- Qt's own words that the qtbase_es catalogue PySide6 ships lacks (Qt 6.10 added mnemonics to these
     file-dialog labels; qtbase_es still has the old "Look in:" / "Files of type:"). Written by hand:
     tools.translations compiles it beside taller_es.qm and test_gui_language checks the file dialog. -->
<TS version="2.1" language="es_ES">
<context>
    <name>QFileDialog</name>
    <message>
        <source>&amp;Look in:</source>
        <translation>&amp;Ver en:</translation>
    </message>
    <message>
        <source>Files of &amp;type:</source>
        <translation>Ficheros de &amp;tipo:</translation>
    </message>
</context>
</TS>
