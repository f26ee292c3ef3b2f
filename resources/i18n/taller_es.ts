<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="es">
<context>
    <name>ComparePanel</name>
    <message>
        <source>New comparison…</source>
        <translation>Nueva comparación…</translation>
    </message>
    <message>
        <source>Plan variants of the run the Data and Model forms describe</source>
        <translation>Planear variantes de la ejecución que describen los formularios Datos y Modelo</translation>
    </message>
    <message>
        <source>Stop</source>
        <translation>Detener</translation>
    </message>
    <message>
        <source>Stop after the current batch; Resume continues later</source>
        <translation>Detener tras el lote actual; Reanudar continúa más tarde</translation>
    </message>
    <message>
        <source>Resume</source>
        <translation>Reanudar</translation>
    </message>
    <message>
        <source>Continue a stopped comparison: finished runs are kept, the stopped one goes on</source>
        <translation>Continuar una comparación detenida: las ejecuciones terminadas se conservan y la detenida sigue</translation>
    </message>
    <message>
        <source>Open winner</source>
        <translation>Abrir la ganadora</translation>
    </message>
    <message>
        <source>Open the winning variant&apos;s model: its curves and evaluation</source>
        <translation>Abrir el modelo de la variante ganadora: sus curvas y su evaluación</translation>
    </message>
    <message>
        <source>Try the winner</source>
        <translation>Probar la ganadora</translation>
    </message>
    <message>
        <source>Open the winning variant&apos;s model in Try it</source>
        <translation>Abrir el modelo de la variante ganadora en Pruébalo</translation>
    </message>
    <message>
        <source>Report</source>
        <translation>Informe</translation>
    </message>
    <message>
        <source>Write the comparison&apos;s HTML report and CSV table into its folder (report/)</source>
        <translation>Escribir el informe HTML y la tabla CSV de la comparación en su carpeta (report/)</translation>
    </message>
    <message>
        <source>Open report</source>
        <translation>Abrir informe</translation>
    </message>
    <message>
        <source>Compare approaches in one go: New comparison… plans variants of the forms&apos; run; the Runs tab lists comparisons made before.</source>
        <translation>Compara enfoques de una vez: Nueva comparación… planea variantes de la ejecución de los formularios; la pestaña Ejecuciones lista las comparaciones anteriores.</translation>
    </message>
    <message>
        <source>Report written to {path}</source>
        <translation>Informe escrito en {path}</translation>
    </message>
    <message>
        <source>Resume a comparison</source>
        <translation>Reanudar una comparación</translation>
    </message>
    <message>
        <source>Resuming…</source>
        <translation>Reanudando…</translation>
    </message>
    <message>
        <source>Reading {name}…</source>
        <translation>Leyendo {name}…</translation>
    </message>
    <message>
        <source>Comparison {name}, in {folder}</source>
        <translation>Comparación {name}, en {folder}</translation>
    </message>
    <message>
        <source>{variant}: {message}</source>
        <translation>{variant}: {message}</translation>
    </message>
    <message>
        <source>Comparison finished: {winner} did best</source>
        <translation>Comparación terminada: {winner} lo hizo mejor</translation>
    </message>
    <message>
        <source>Comparison stopped; Resume continues it</source>
        <translation>Comparación detenida; Reanudar la continúa</translation>
    </message>
    <message>
        <source>Failed</source>
        <translation>Falló</translation>
    </message>
    <message numerus="yes">
        <source>%n run(s) done in {time}</source>
        <translation>
            <numerusform>%n ejecución hecha en {time}</numerusform>
            <numerusform>%n ejecuciones hechas en {time}</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>{done} of %n run(s) done; Resume continues the others</source>
        <translation>
            <numerusform>{done} de %n ejecución hecha; Reanudar continúa las demás</numerusform>
            <numerusform>{done} de %n ejecuciones hechas; Reanudar continúa las demás</numerusform>
        </translation>
    </message>
    <message>
        <source>Comparison {name}</source>
        <translation>Comparación {name}</translation>
    </message>
    <message>
        <source>Starting…</source>
        <translation>Empezando…</translation>
    </message>
</context>
<context>
    <name>CompareResults</name>
    <message>
        <source>Accuracy (%)</source>
        <translation>Exactitud (%)</translation>
    </message>
    <message>
        <source>Loss</source>
        <translation>Pérdida</translation>
    </message>
    <message>
        <source>Plot</source>
        <translation>Gráfico</translation>
    </message>
    <message>
        <source>Whether a difference is real shows here once two variants have finished.</source>
        <translation>Si una diferencia es real se ve aquí en cuanto terminen dos variantes.</translation>
    </message>
    <message>
        <source>How the comparison is fair:</source>
        <translation>Por qué la comparación es justa:</translation>
    </message>
    <message>
        <source>Each variant&apos;s curves show here as its epochs end</source>
        <translation>Las curvas de cada variante aparecen aquí a medida que terminan sus épocas</translation>
    </message>
</context>
<context>
    <name>CompareTable</name>
    <message>
        <source>Variant</source>
        <translation>Variante</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>Estado</translation>
    </message>
    <message>
        <source>Test accuracy
(95 % interval)</source>
        <translation>Exactitud de prueba
(intervalo del 95 %)</translation>
    </message>
    <message>
        <source>Macro
F1</source>
        <translation>F1
macro</translation>
    </message>
    <message>
        <source>Validation accuracy
final / best</source>
        <translation>Exactitud de
validación,
final / mejor</translation>
    </message>
    <message>
        <source>Train accuracy
final / best</source>
        <translation>Exactitud de
entrenamiento,
final / mejor</translation>
    </message>
    <message>
        <source>Best
epoch</source>
        <translation>Mejor
época</translation>
    </message>
    <message>
        <source>Trainable /
total params</source>
        <translation>Parámetros
entrenables /
totales</translation>
    </message>
    <message>
        <source>Wall
time</source>
        <translation>Tiempo
real</translation>
    </message>
    <message>
        <source>waiting</source>
        <translation>en espera</translation>
    </message>
    <message>
        <source>running</source>
        <translation>en curso</translation>
    </message>
    <message>
        <source>stopped</source>
        <translation>detenida</translation>
    </message>
    <message>
        <source>done</source>
        <translation>hecha</translation>
    </message>
    <message>
        <source>failed</source>
        <translation>falló</translation>
    </message>
    <message>
        <source>Test accuracy by seed: {values}</source>
        <translation>Exactitud de prueba por semilla: {values}</translation>
    </message>
    <message>
        <source>Variants compared</source>
        <translation>Variantes comparadas</translation>
    </message>
</context>
<context>
    <name>ConfusionMatrixView</name>
    <message>
        <source>The confusion matrix appears here after a run, or after Evaluate.</source>
        <translation>La matriz de confusión aparece aquí tras una ejecución o tras Evaluar.</translation>
    </message>
    <message>
        <source>Confusion matrix</source>
        <translation>Matriz de confusión</translation>
    </message>
    <message>
        <source>Normalise rows (share of each true class)</source>
        <translation>Normalizar filas (proporción de cada clase real)</translation>
    </message>
    <message>
        <source>Divide each row by its total: the diagonal becomes each class&apos;s recall, and small classes are as visible as large ones.</source>
        <translation>Divide cada fila por su total: la diagonal pasa a ser la exhaustividad de cada clase, y las clases pequeñas se ven tanto como las grandes.</translation>
    </message>
    <message>
        <source>Click a cell to see its test images.</source>
        <translation>Haz clic en una celda para ver sus imágenes de prueba.</translation>
    </message>
    <message>
        <source>true class</source>
        <translation>clase real</translation>
    </message>
    <message>
        <source>predicted class</source>
        <translation>clase predicha</translation>
    </message>
    <message>
        <source> ({share} of {true})</source>
        <translation> ({share} de {true})</translation>
    </message>
    <message numerus="yes">
        <source>true {true} → predicted {predicted}: %n image(s){share}</source>
        <translation>
            <numerusform>real {true} → predicha {predicted}: %n imagen{share}</numerusform>
            <numerusform>real {true} → predicha {predicted}: %n imágenes{share}</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>CurvePlot</name>
    <message>
        <source>epoch</source>
        <translation>época</translation>
    </message>
    <message>
        <source>train</source>
        <translation>entrenamiento</translation>
    </message>
    <message>
        <source>validation</source>
        <translation>validación</translation>
    </message>
</context>
<context>
    <name>DataFeed</name>
    <message>
        <source>Automatic</source>
        <translation>Automático</translation>
    </message>
    <message>
        <source>In memory</source>
        <translation>En memoria</translation>
    </message>
    <message>
        <source>Streamed from disk</source>
        <translation>Leído del disco por lotes</translation>
    </message>
    <message>
        <source>In memory: every picture decoded once and kept, fastest for folders that fit. Streamed: pictures read from disk batch by batch, for folders larger than memory. Automatic chooses by the folder&apos;s size.</source>
        <translation>En memoria: cada imagen se decodifica una vez y se conserva, lo más rápido para carpetas que caben. Leído del disco: las imágenes se leen del disco lote a lote, para carpetas más grandes que la memoria. Automático elige según el tamaño de la carpeta.</translation>
    </message>
    <message>
        <source>Remove</source>
        <translation>Quitar</translation>
    </message>
    <message>
        <source>Delete the decoded pictures kept on disk; streamed folders decode again next time</source>
        <translation>Borra las imágenes decodificadas guardadas en el disco; las carpetas leídas del disco se decodificarán de nuevo la próxima vez</translation>
    </message>
    <message>
        <source>about %1 of pixels: streamed from disk</source>
        <translation>unos %1 de píxeles: leídos del disco</translation>
    </message>
    <message>
        <source>about %1 of pixels: in memory</source>
        <translation>unos %1 de píxeles: en memoria</translation>
    </message>
    <message>
        <source>Decode cache: %1 on disk</source>
        <translation>Caché de decodificación: %1 en disco</translation>
    </message>
    <message>
        <source>Decode cache removed: %1 freed</source>
        <translation>Caché de decodificación borrada: %1 liberados</translation>
    </message>
</context>
<context>
    <name>DataPanel</name>
    <message>
        <source>The images to learn from</source>
        <translation>Las imágenes de las que aprender</translation>
    </message>
    <message>
        <source>Data folder</source>
        <translation>Carpeta de datos</translation>
    </message>
    <message>
        <source>Choose a folder</source>
        <translation>Elegir una carpeta</translation>
    </message>
    <message>
        <source>Choose folder</source>
        <translation>Elegir carpeta</translation>
    </message>
    <message>
        <source>automatic</source>
        <translation>automático</translation>
    </message>
    <message>
        <source>Every image in the folder is resized to this size</source>
        <translation>Cada imagen de la carpeta se redimensiona a este tamaño</translation>
    </message>
    <message>
        <source>Image size</source>
        <translation>Tamaño de imagen</translation>
    </message>
    <message>
        <source>Loading</source>
        <translation>Lectura</translation>
    </message>
    <message>
        <source>Dataset</source>
        <translation>Conjunto de datos</translation>
    </message>
    <message>
        <source>Download</source>
        <translation>Descargar</translation>
    </message>
    <message>
        <source>Download the dataset into the data folder (needs an internet connection)</source>
        <translation>Descarga el conjunto de datos en la carpeta de datos (necesita conexión a internet)</translation>
    </message>
    <message>
        <source>Choose a folder that holds one sub-folder of images per class.</source>
        <translation>Elige una carpeta que tenga una subcarpeta de imágenes por clase.</translation>
    </message>
    <message>
        <source>Downloading {dataset}…</source>
        <translation>Descargando {dataset}…</translation>
    </message>
    <message>
        <source>Loading {dataset}…</source>
        <translation>Cargando {dataset}…</translation>
    </message>
    <message numerus="yes">
        <source>{dataset}: %n image(s), {classes} classes</source>
        <translation>
            <numerusform>{dataset}: %n imagen, {classes} clases</numerusform>
            <numerusform>{dataset}: %n imágenes, {classes} clases</numerusform>
        </translation>
    </message>
    <message>
        <source>Choose an image folder (one sub-folder per class)</source>
        <translation>Elige una carpeta de imágenes (una subcarpeta por clase)</translation>
    </message>
    <message>
        <source>Choose the data folder</source>
        <translation>Elige la carpeta de datos</translation>
    </message>
    <message>
        <source>Image folder</source>
        <translation>Carpeta de imágenes</translation>
    </message>
    <message>
        <source>a folder with one sub-folder per class</source>
        <translation>una carpeta con una subcarpeta por clase</translation>
    </message>
    <message>
        <source>One sub-folder of images per class</source>
        <translation>Una subcarpeta de imágenes por clase</translation>
    </message>
    <message>
        <source>Where the dataset&apos;s files are (or will be downloaded to)</source>
        <translation>Dónde están los archivos del conjunto de datos (o dónde se descargarán)</translation>
    </message>
</context>
<context>
    <name>DataPreview</name>
    <message>
        <source>Split: &lt;b&gt;{train}&lt;/b&gt; train · &lt;b&gt;{val}&lt;/b&gt; validation · &lt;b&gt;{test}&lt;/b&gt; test</source>
        <translation>División: &lt;b&gt;{train}&lt;/b&gt; entrenamiento · &lt;b&gt;{val}&lt;/b&gt; validación · &lt;b&gt;{test}&lt;/b&gt; prueba</translation>
    </message>
</context>
<context>
    <name>DatasetSaver</name>
    <message>
        <source>Add to dataset…</source>
        <translation>Añadir al conjunto de datos…</translation>
    </message>
    <message>
        <source>Save this drawing with its label into an image-folder dataset</source>
        <translation>Guarda este dibujo con su etiqueta en un conjunto de datos de carpetas de imágenes</translation>
    </message>
    <message>
        <source>Label of the drawing</source>
        <translation>Etiqueta del dibujo</translation>
    </message>
    <message>
        <source>The class this drawing shows (type a name to start a new class)</source>
        <translation>La clase que muestra este dibujo (escribe un nombre para crear una clase nueva)</translation>
    </message>
    <message>
        <source>Change…</source>
        <translation>Cambiar…</translation>
    </message>
    <message>
        <source>Save</source>
        <translation>Guardar</translation>
    </message>
    <message>
        <source>Save the drawing under this label</source>
        <translation>Guarda el dibujo con esta etiqueta</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>Cancelar</translation>
    </message>
    <message>
        <source>Label</source>
        <translation>Etiqueta</translation>
    </message>
    <message>
        <source>Folder</source>
        <translation>Carpeta</translation>
    </message>
    <message>
        <source>Drawings are saved under {folder}</source>
        <translation>Los dibujos se guardan en {folder}</translation>
    </message>
    <message>
        <source>Choose another dataset folder</source>
        <translation>Elige otra carpeta de datos</translation>
    </message>
    <message>
        <source>Dataset folder for your drawings</source>
        <translation>Carpeta de datos para tus dibujos</translation>
    </message>
    <message>
        <source>The drawing was not saved: {reason}</source>
        <translation>El dibujo no se guardó: {reason}</translation>
    </message>
    <message numerus="yes">
        <source>Saved as “{label}”. {folder} now holds %n drawing(s) ({counts}). Train on it by choosing this image folder as the data.</source>
        <translation>
            <numerusform>Guardado como «{label}». {folder} tiene ahora %n dibujo ({counts}). Entrena con él eligiendo esta carpeta de imágenes como datos.</numerusform>
            <numerusform>Guardado como «{label}». {folder} tiene ahora %n dibujos ({counts}). Entrena con ellos eligiendo esta carpeta de imágenes como datos.</numerusform>
        </translation>
    </message>
    <message>
        <source>the canvas is empty; draw something first</source>
        <translation>el lienzo está vacío; dibuja algo primero</translation>
    </message>
</context>
<context>
    <name>DeviceStatus</name>
    <message>
        <source>CPU</source>
        <translation>CPU</translation>
    </message>
    <message>
        <source>GPU (CUDA)</source>
        <translation>GPU (CUDA)</translation>
    </message>
    <message>
        <source>Apple GPU (MPS)</source>
        <translation>GPU de Apple (MPS)</translation>
    </message>
    <message>
        <source>Training on {device}</source>
        <translation>Entrenando en {device}</translation>
    </message>
    <message>
        <source> · GPU memory in use: {used} MB (peak {peak} MB)</source>
        <translation> · memoria de GPU en uso: {used} MB (máximo {peak} MB)</translation>
    </message>
</context>
<context>
    <name>DrawingCanvas</name>
    <message>
        <source>Drawing canvas</source>
        <translation>Lienzo de dibujo</translation>
    </message>
    <message>
        <source>Draw with the mouse; each stroke updates the prediction (Ctrl+Z undoes a stroke)</source>
        <translation>Dibuja con el ratón; cada trazo actualiza la predicción (Ctrl+Z deshace un trazo)</translation>
    </message>
    <message>
        <source> px</source>
        <translation> px</translation>
    </message>
    <message>
        <source>Pen width for the next strokes</source>
        <translation>Grosor del lápiz para los próximos trazos</translation>
    </message>
    <message>
        <source>Pen width</source>
        <translation>Grosor del lápiz</translation>
    </message>
    <message>
        <source>Undo</source>
        <translation>Deshacer</translation>
    </message>
    <message>
        <source>Remove the last stroke (Ctrl+Z)</source>
        <translation>Quita el último trazo (Ctrl+Z)</translation>
    </message>
    <message>
        <source>Clear</source>
        <translation>Borrar todo</translation>
    </message>
    <message>
        <source>Start again on a blank canvas</source>
        <translation>Empieza de nuevo con el lienzo en blanco</translation>
    </message>
    <message>
        <source>Pen</source>
        <translation>Lápiz</translation>
    </message>
    <message>
        <source>Draw a digit here</source>
        <translation>Dibuja un dígito aquí</translation>
    </message>
</context>
<context>
    <name>EpochCurves</name>
    <message>
        <source>Loss</source>
        <translation>Pérdida</translation>
    </message>
    <message>
        <source>loss</source>
        <translation>pérdida</translation>
    </message>
    <message>
        <source>Accuracy</source>
        <translation>Exactitud</translation>
    </message>
    <message>
        <source>accuracy (%)</source>
        <translation>exactitud (%)</translation>
    </message>
    <message>
        <source>validation</source>
        <translation>validación</translation>
    </message>
</context>
<context>
    <name>EvaluationPanel</name>
    <message>
        <source>No results yet: train a model, or open one and press Evaluate.</source>
        <translation>Aún no hay resultados: entrena un modelo, o abre uno y pulsa Evaluar.</translation>
    </message>
    <message>
        <source>Evaluate on current data</source>
        <translation>Evaluar con los datos actuales</translation>
    </message>
    <message>
        <source>Test the current model on the test part of the dataset chosen in the Data panel</source>
        <translation>Prueba el modelo actual con la parte de prueba del conjunto de datos elegido en el panel Datos</translation>
    </message>
    <message>
        <source>Stop</source>
        <translation>Detener</translation>
    </message>
    <message>
        <source>Export…</source>
        <translation>Exportar…</translation>
    </message>
    <message>
        <source>Write an HTML report (opens in any browser, offline), PNG charts, metrics as JSON, CSV and .npz</source>
        <translation>Escribe un informe HTML (se abre en cualquier navegador, sin conexión), gráficos PNG y métricas en JSON, CSV y .npz</translation>
    </message>
    <message>
        <source>Open report</source>
        <translation>Abrir informe</translation>
    </message>
    <message>
        <source>These are the test results saved with the model. Press Evaluate to see its mistakes image by image.</source>
        <translation>Estos son los resultados de prueba guardados con el modelo. Pulsa Evaluar para ver sus errores imagen por imagen.</translation>
    </message>
    <message>
        <source>current data</source>
        <translation>datos actuales</translation>
    </message>
    <message>
        <source>Evaluate on {name}</source>
        <translation>Evaluar con {name}</translation>
    </message>
    <message>
        <source>Test the current model on the test part of {name}</source>
        <translation>Prueba el modelo actual con la parte de prueba de {name}</translation>
    </message>
    <message>
        <source>No test results: the run ended before its first epoch finished.</source>
        <translation>Sin resultados de prueba: la ejecución terminó antes de acabar su primera época.</translation>
    </message>
    <message>
        <source>No results yet</source>
        <translation>Aún no hay resultados</translation>
    </message>
    <message>
        <source>Evaluating on {name}…</source>
        <translation>Evaluando con {name}…</translation>
    </message>
    <message>
        <source>Export the report into a folder (made if missing)</source>
        <translation>Exportar el informe a una carpeta (se crea si no existe)</translation>
    </message>
    <message>
        <source>Writing the report to {folder}…</source>
        <translation>Escribiendo el informe en {folder}…</translation>
    </message>
    <message numerus="yes">
        <source>Test accuracy {accuracy} · macro F1 {f1} · %n image(s)</source>
        <translation>
            <numerusform>Exactitud de prueba {accuracy} · F1 macro {f1} · %n imagen</numerusform>
            <numerusform>Exactitud de prueba {accuracy} · F1 macro {f1} · %n imágenes</numerusform>
        </translation>
    </message>
    <message>
        <source>{model} trained on {dataset}</source>
        <translation>{model} entrenado con {dataset}</translation>
    </message>
    <message>
        <source>tested on {dataset}</source>
        <translation>probado con {dataset}</translation>
    </message>
    <message>
        <source>{k}-fold validation accuracy {mean} ± {std}</source>
        <translation>exactitud de validación cruzada K-Fold ({k} pliegues) {mean} ± {std}</translation>
    </message>
    <message>
        <source>Evaluation stopped.</source>
        <translation>Evaluación detenida.</translation>
    </message>
    <message>
        <source>Test accuracy {accuracy} on {dataset}</source>
        <translation>Exactitud de prueba {accuracy} con {dataset}</translation>
    </message>
    <message>
        <source>Report written to {path}</source>
        <translation>Informe escrito en {path}</translation>
    </message>
    <message>
        <source>Train a model or open one first</source>
        <translation>Primero entrena un modelo o abre uno</translation>
    </message>
    <message>
        <source>Choose data in 1 · Data first</source>
        <translation>Primero elige datos en 1 · Datos</translation>
    </message>
    <message>
        <source>This {model} model</source>
        <translation>Este modelo {model}</translation>
    </message>
</context>
<context>
    <name>EvaluationResults</name>
    <message>
        <source>class</source>
        <translation>clase</translation>
    </message>
    <message>
        <source>precision</source>
        <translation>precisión</translation>
    </message>
    <message>
        <source>recall</source>
        <translation>exhaustividad</translation>
    </message>
    <message>
        <source>support</source>
        <translation>soporte</translation>
    </message>
    <message>
        <source>Per-class precision, recall, F1 and support</source>
        <translation>Precisión, exhaustividad, F1 y soporte por clase</translation>
    </message>
    <message>
        <source>Most confused pairs</source>
        <translation>Pares más confundidos</translation>
    </message>
    <message>
        <source>&lt;b&gt;Per-class metrics&lt;/b&gt; (scikit-learn)</source>
        <translation>&lt;b&gt;Métricas por clase&lt;/b&gt; (scikit-learn)</translation>
    </message>
    <message>
        <source>&lt;b&gt;Most confused pairs&lt;/b&gt; (click one to see its images)</source>
        <translation>&lt;b&gt;Pares más confundidos&lt;/b&gt; (haz clic en uno para ver sus imágenes)</translation>
    </message>
    <message>
        <source>Misclassified test images by loss</source>
        <translation>Imágenes de prueba mal clasificadas, por pérdida</translation>
    </message>
    <message>
        <source>Test images of the chosen cell</source>
        <translation>Imágenes de prueba de la celda elegida</translation>
    </message>
    <message>
        <source>Misclassified, highest loss first</source>
        <translation>Mal clasificadas, mayor pérdida primero</translation>
    </message>
    <message>
        <source>Chosen cell</source>
        <translation>Celda elegida</translation>
    </message>
    <message>
        <source>true {true} → predicted {predicted} ({count})</source>
        <translation>real {true} → predicha {predicted} ({count})</translation>
    </message>
    <message>
        <source>Press Evaluate to see the images behind these numbers.</source>
        <translation>Pulsa Evaluar para ver las imágenes detrás de estos números.</translation>
    </message>
    <message>
        <source> (showing the first {n})</source>
        <translation> (se muestran las primeras {n})</translation>
    </message>
    <message numerus="yes">
        <source>%n test image(s): {title}{more}, lowest probability of the true class first.</source>
        <translation>
            <numerusform>%n imagen de prueba: {title}{more}, la de menor probabilidad de la clase real primero.</numerusform>
            <numerusform>%n imágenes de prueba: {title}{more}, las de menor probabilidad de la clase real primero.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n image(s): {title}</source>
        <translation>
            <numerusform>%n imagen: {title}</numerusform>
            <numerusform>%n imágenes: {title}</numerusform>
        </translation>
    </message>
    <message>
        <source>{name} avg</source>
        <translation>promedio {name}</translation>
    </message>
    <message numerus="yes">
        <source>{true} → {predicted}: %n image(s)</source>
        <translation>
            <numerusform>{true} → {predicted}: %n imagen</numerusform>
            <numerusform>{true} → {predicted}: %n imágenes</numerusform>
        </translation>
    </message>
    <message>
        <source>true {true}, predicted {predicted}</source>
        <translation>real {true}, predicha {predicted}</translation>
    </message>
    <message>
        <source>No mistakes on the test set.</source>
        <translation>Ningún error en el conjunto de prueba.</translation>
    </message>
    <message>
        <source>Press Evaluate to see the misclassified images.</source>
        <translation>Pulsa Evaluar para ver las imágenes mal clasificadas.</translation>
    </message>
    <message>
        <source> (showing the {n} worst)</source>
        <translation> (se muestran las {n} peores)</translation>
    </message>
    <message numerus="yes">
        <source>%n misclassified test image(s){more}, sorted by loss (how little probability the true class got), highest first: often mislabelled or truly ambiguous. p is the probability of the wrong answer.</source>
        <translation>
            <numerusform>%n imagen de prueba mal clasificada{more}, ordenada por pérdida (qué poca probabilidad recibió la clase real), la mayor primero: a menudo mal etiquetada o realmente ambigua. p es la probabilidad de la respuesta equivocada.</numerusform>
            <numerusform>%n imágenes de prueba mal clasificadas{more}, ordenadas por pérdida (qué poca probabilidad recibió la clase real), la mayor primero: a menudo mal etiquetadas o realmente ambiguas. p es la probabilidad de la respuesta equivocada.</numerusform>
        </translation>
    </message>
    <message>
        <source>test image #{i}
true: {true} (p={pt})
predicted: {predicted} (p={pp})
loss: {loss}</source>
        <translation>imagen de prueba n.º {i}
real: {true} (p={pt})
predicha: {predicted} (p={pp})
pérdida: {loss}</translation>
    </message>
</context>
<context>
    <name>FilterHistoryView</name>
    <message>
        <source>First-layer filters</source>
        <translation>Filtros de la primera capa</translation>
    </message>
    <message>
        <source>Epoch of the filters shown</source>
        <translation>Época de los filtros mostrados</translation>
    </message>
    <message>
        <source>Play</source>
        <translation>Reproducir</translation>
    </message>
    <message>
        <source>Step through the epochs, from the start to the last</source>
        <translation>Recorre las épocas, desde el inicio hasta la última</translation>
    </message>
    <message>
        <source>The filter history in {folder} cannot be read; a new run writes it again.</source>
        <translation>El historial de filtros de {folder} no se puede leer; una nueva ejecución lo vuelve a escribir.</translation>
    </message>
    <message>
        <source>First-layer filters appear here, epoch by epoch, once a run has started.</source>
        <translation>Los filtros de la primera capa aparecen aquí, época a época, en cuanto empieza una ejecución.</translation>
    </message>
    <message numerus="yes">
        <source>First-layer filters of {layer}: %n filter(s) of {h}×{w}</source>
        <translation>
            <numerusform>Filtros de la primera capa de {layer}: %n filtro de {h}×{w}</numerusform>
            <numerusform>Filtros de la primera capa de {layer}: %n filtros de {h}×{w}</numerusform>
        </translation>
    </message>
    <message>
        <source>As the run started</source>
        <translation>Al empezar la ejecución</translation>
    </message>
    <message>
        <source>After epoch {epoch}</source>
        <translation>Tras la época {epoch}</translation>
    </message>
    <message>
        <source> (phase 2: unfrozen)</source>
        <translation> (fase 2: descongelada)</translation>
    </message>
    <message>
        <source>{when} · moved {share} from the start</source>
        <translation>{when} · se han movido un {share} desde el inicio</translation>
    </message>
    <message>
        <source>Stop</source>
        <translation>Detener</translation>
    </message>
</context>
<context>
    <name>FineTunePanel</name>
    <message>
        <source>Phase 1 trains the ticked layers only; then the frozen ones are released and training goes on at the learning rate × this factor, so pre-trained weights are adjusted gently, not overwritten. A line on the curves marks where phase 2 starts.</source>
        <translation>La fase 1 entrena solo las capas marcadas; después se descongelan las congeladas y el entrenamiento sigue con la tasa de aprendizaje × este factor, de modo que los pesos preentrenados se ajustan con suavidad, sin sobrescribirse. Una línea en las curvas marca dónde empieza la fase 2.</translation>
    </message>
    <message>
        <source>Augmentation is on, so the frozen layers run again on every picture in every epoch (each epoch&apos;s pictures differ). Without augmentation their outputs are computed once and the epochs train only the layers after them, many times faster.</source>
        <translation>El aumento de datos está activado, así que las capas congeladas se calculan de nuevo para cada imagen en cada época (las imágenes de cada época son distintas). Sin aumento de datos sus salidas se calculan una sola vez y las épocas solo entrenan las capas que las siguen, muchas veces más rápido.</translation>
    </message>
    <message>
        <source>Below 1, the pre-trained layers learn more slowly than the new head, which starts from nothing (per-group learning rates).</source>
        <translation>Por debajo de 1, las capas preentrenadas aprenden más despacio que la cabeza nueva, que parte de cero (tasas de aprendizaje por grupo).</translation>
    </message>
    <message>
        <source>Two phases: unfreeze during the run</source>
        <translation>Dos fases: descongelar durante el entrenamiento</translation>
    </message>
    <message>
        <source> epoch(s)</source>
        <translation> época(s)</translation>
    </message>
    <message>
        <source>Epochs of phase 1, with the frozen layers frozen</source>
        <translation>Épocas de la fase 1, con las capas congeladas sin entrenar</translation>
    </message>
    <message>
        <source>all frozen layers</source>
        <translation>todas las capas congeladas</translation>
    </message>
    <message>
        <source>only the last blocks</source>
        <translation>solo los últimos bloques</translation>
    </message>
    <message>
        <source>What phase 2 releases; the rest stays frozen to the end</source>
        <translation>Lo que descongela la fase 2; el resto sigue congelado hasta el final</translation>
    </message>
    <message>
        <source> block(s)</source>
        <translation> bloque(s)</translation>
    </message>
    <message>
        <source>Learning rate in phase 2 = rate × this</source>
        <translation>Tasa de aprendizaje en la fase 2 = tasa × este valor</translation>
    </message>
    <message>
        <source>Fine-tuning schedule</source>
        <translation>Plan de ajuste fino</translation>
    </message>
    <message>
        <source>Unfreeze after</source>
        <translation>Descongelar tras</translation>
    </message>
    <message>
        <source>Then unfreeze</source>
        <translation>Después descongelar</translation>
    </message>
    <message>
        <source>Learning rate ×</source>
        <translation>Tasa de aprendizaje ×</translation>
    </message>
    <message>
        <source>Pre-trained layers&apos; rate ×</source>
        <translation>Tasa de las capas preentrenadas ×</translation>
    </message>
    <message>
        <source>Layers: tick the ones that learn</source>
        <translation>Capas: marca las que aprenden</translation>
    </message>
    <message>
        <source>The layers of this model are not listed yet (or it has no blocks): wait a moment, or choose to unfreeze all frozen layers</source>
        <translation>Las capas de este modelo aún no están listadas (o no tiene bloques): espera un momento, o elige descongelar todas las capas congeladas</translation>
    </message>
    <message>
        <source>Two phases need at least 2 epochs</source>
        <translation>Dos fases necesitan al menos 2 épocas</translation>
    </message>
    <message>
        <source>The starting point is random: frozen layers keep their random weights and learn nothing. Freeze layers when starting from ImageNet weights or a model trained earlier.</source>
        <translation>El punto de partida es aleatorio: las capas congeladas conservan sus pesos aleatorios y no aprenden nada. Congela capas cuando partas de los pesos de ImageNet o de un modelo entrenado antes.</translation>
    </message>
</context>
<context>
    <name>GatherDialog</name>
    <message>
        <source>A webcam needs Qt Multimedia: pip install PySide6-Addons (or pip install &apos;taller[webcam]&apos;)</source>
        <translation>La cámara web necesita Qt Multimedia: pip install PySide6-Addons (o pip install &apos;taller[webcam]&apos;)</translation>
    </message>
    <message>
        <source>New dataset</source>
        <translation>Nuevo conjunto de datos</translation>
    </message>
    <message>
        <source>class {n}</source>
        <translation>clase {n}</translation>
    </message>
    <message>
        <source>e.g. my-plants</source>
        <translation>p. ej. mis-plantas</translation>
    </message>
    <message>
        <source>Choose…</source>
        <translation>Elegir…</translation>
    </message>
    <message>
        <source>Choose the folder the new dataset is saved in</source>
        <translation>Elige la carpeta donde se guarda el nuevo conjunto de datos</translation>
    </message>
    <message>
        <source>Classes</source>
        <translation>Clases</translation>
    </message>
    <message>
        <source>Add class</source>
        <translation>Añadir clase</translation>
    </message>
    <message>
        <source>Remove class</source>
        <translation>Quitar clase</translation>
    </message>
    <message>
        <source>Drop pictures or folders on the grid, paste (Ctrl+V), or add files. Aim for {n} or more per class.</source>
        <translation>Suelta imágenes o carpetas en la cuadrícula, pega (Ctrl+V) o añade archivos. Intenta tener {n} o más por clase.</translation>
    </message>
    <message>
        <source>Add images…</source>
        <translation>Añadir imágenes…</translation>
    </message>
    <message>
        <source>Paste</source>
        <translation>Pegar</translation>
    </message>
    <message>
        <source>Webcam…</source>
        <translation>Cámara web…</translation>
    </message>
    <message>
        <source>Remove selected</source>
        <translation>Quitar seleccionadas</translation>
    </message>
    <message>
        <source>Move to</source>
        <translation>Mover a</translation>
    </message>
    <message>
        <source>Save and open</source>
        <translation>Guardar y abrir</translation>
    </message>
    <message>
        <source>Webcam (needs Qt Multimedia)</source>
        <translation>Cámara web (necesita Qt Multimedia)</translation>
    </message>
    <message>
        <source>Dataset name</source>
        <translation>Nombre del conjunto</translation>
    </message>
    <message>
        <source>Save in</source>
        <translation>Guardar en</translation>
    </message>
    <message>
        <source>&lt;b&gt;Classes&lt;/b&gt; (double-click to rename)</source>
        <translation>&lt;b&gt;Clases&lt;/b&gt; (doble clic para renombrar)</translation>
    </message>
    <message>
        <source>Add images</source>
        <translation>Añadir imágenes</translation>
    </message>
    <message>
        <source>Images (*.png *.jpg *.jpeg *.bmp *.gif *.webp)</source>
        <translation>Imágenes (*.png *.jpg *.jpeg *.bmp *.gif *.webp)</translation>
    </message>
    <message>
        <source>The clipboard holds no picture.</source>
        <translation>El portapapeles no contiene ninguna imagen.</translation>
    </message>
    <message>
        <source>Where to save the new dataset</source>
        <translation>Dónde guardar el nuevo conjunto de datos</translation>
    </message>
    <message>
        <source>Saving…</source>
        <translation>Guardando…</translation>
    </message>
    <message>
        <source>NAME</source>
        <translation>NOMBRE</translation>
    </message>
    <message>
        <source>Saved as {path}</source>
        <translation>Se guardará como {path}</translation>
    </message>
    <message numerus="yes">
        <source>{name}: %n image(s)</source>
        <translation>
            <numerusform>{name}: %n imagen</numerusform>
            <numerusform>{name}: %n imágenes</numerusform>
        </translation>
    </message>
    <message>
        <source>(no name)</source>
        <translation>(sin nombre)</translation>
    </message>
    <message>
        <source>Few images in {classes}: {n} or more per class train a more useful model. You can save now and add more later.</source>
        <translation>Pocas imágenes en {classes}: con {n} o más por clase se entrena un modelo más útil. Puedes guardar ahora y añadir más después.</translation>
    </message>
</context>
<context>
    <name>GatherGrid</name>
    <message>
        <source>Pictures of the chosen class</source>
        <translation>Imágenes de la clase elegida</translation>
    </message>
    <message>
        <source>pasted picture</source>
        <translation>imagen pegada</translation>
    </message>
</context>
<context>
    <name>ImageDropArea</name>
    <message>
        <source>Image drop area</source>
        <translation>Zona para soltar imágenes</translation>
    </message>
    <message>
        <source>Drop an image file here
or use “Open image…”</source>
        <translation>Suelta aquí un archivo de imagen
o usa «Abrir imagen…»</translation>
    </message>
</context>
<context>
    <name>ImageNetWeights</name>
    <message>
        <source>Start from ImageNet weights</source>
        <translation>Partir de los pesos de ImageNet</translation>
    </message>
    <message>
        <source>Import weights…</source>
        <translation>Importar pesos…</translation>
    </message>
    <message>
        <source>Copy an ImageNet weights file you have (torchvision&apos;s .pth, e.g. from another computer) into this computer&apos;s torch cache</source>
        <translation>Copia un archivo de pesos de ImageNet que tengas (el .pth de torchvision, p. ej. de otro ordenador) en la caché de torch de este ordenador</translation>
    </message>
    <message>
        <source>Only {models} come with ImageNet weights</source>
        <translation>Solo {models} tienen pesos de ImageNet</translation>
    </message>
    <message>
        <source>✓ ImageNet weights for {model} are on this computer</source>
        <translation>✓ Los pesos de ImageNet de {model} están en este ordenador</translation>
    </message>
    <message>
        <source>Start from weights learned on ImageNet (faster, better with few images)</source>
        <translation>Partir de pesos aprendidos en ImageNet (más rápido, mejor con pocas imágenes)</translation>
    </message>
    <message>
        <source>ImageNet weights for {model} are not on this computer, so this model starts from random weights. Import a copy you have to start from them.</source>
        <translation>Los pesos de ImageNet de {model} no están en este ordenador, así que este modelo parte de pesos aleatorios. Importa una copia que tengas para partir de ellos.</translation>
    </message>
    <message>
        <source>Import ImageNet weights for {model}</source>
        <translation>Importar pesos de ImageNet para {model}</translation>
    </message>
    <message>
        <source>PyTorch weights (*.pth *.pt);;All files (*)</source>
        <translation>Pesos de PyTorch (*.pth *.pt);;Todos los archivos (*)</translation>
    </message>
    <message>
        <source>Imported ImageNet weights to {path}</source>
        <translation>Pesos de ImageNet importados en {path}</translation>
    </message>
</context>
<context>
    <name>InferencePanel</name>
    <message>
        <source>Look again for checkpoints in the models folder</source>
        <translation>Busca de nuevo puntos de control en la carpeta de modelos</translation>
    </message>
    <message>
        <source>No model in use yet: train one, or pick a saved model above.</source>
        <translation>Aún no hay modelo en uso: entrena uno o elige arriba un modelo guardado.</translation>
    </message>
    <message>
        <source>Model</source>
        <translation>Modelo</translation>
    </message>
    <message>
        <source>Answer</source>
        <translation>Respuesta</translation>
    </message>
    <message>
        <source>Inside the model</source>
        <translation>Dentro del modelo</translation>
    </message>
    <message>
        <source>Every layer&apos;s response to your drawing or image, from the input to the answer, updated as you draw</source>
        <translation>La respuesta de cada capa a tu dibujo o imagen, de la entrada a la respuesta, actualizada mientras dibujas</translation>
    </message>
    <message>
        <source>Model just trained</source>
        <translation>Modelo recién entrenado</translation>
    </message>
    <message>
        <source>{message}
The model in use has not changed.</source>
        <translation>{message}
El modelo en uso no ha cambiado.</translation>
    </message>
    <message>
        <source>Could not load that model</source>
        <translation>No se pudo cargar ese modelo</translation>
    </message>
    <message>
        <source>{model} cannot make predictions: {reason}</source>
        <translation>{model} no puede hacer predicciones: {reason}</translation>
    </message>
    <message>
        <source>Now predicting with: {model}</source>
        <translation>Ahora predice con: {model}</translation>
    </message>
    <message>
        <source>Active model: {model}</source>
        <translation>Modelo activo: {model}</translation>
    </message>
    <message>
        <source>Predicting with {model}</source>
        <translation>Prediciendo con {model}</translation>
    </message>
    <message>
        <source>No model yet: train one, or pick a saved model above.</source>
        <translation>Aún no hay modelo: entrena uno o elige arriba un modelo guardado.</translation>
    </message>
    <message>
        <source>Prediction failed</source>
        <translation>La predicción falló</translation>
    </message>
    <message>
        <source>no model yet: train one or pick a saved model</source>
        <translation>aún no hay modelo: entrena uno o elige un modelo guardado</translation>
    </message>
    <message>
        <source>draw a digit on the canvas</source>
        <translation>dibuja un dígito en el lienzo</translation>
    </message>
    <message>
        <source>drop an image file or open one</source>
        <translation>suelta un archivo de imagen o abre uno</translation>
    </message>
    <message>
        <source>The prediction is shown, but the map of what drove it could not be made: {reason}</source>
        <translation>La predicción se muestra, pero no se pudo hacer el mapa de lo que la decidió: {reason}</translation>
    </message>
    <message>
        <source>No map of what drove the prediction</source>
        <translation>Sin mapa de lo que decidió la predicción</translation>
    </message>
    <message>
        <source>Saved {path}</source>
        <translation>Guardado {path}</translation>
    </message>
</context>
<context>
    <name>InputTabs</name>
    <message>
        <source>Images (*.png *.jpg *.jpeg *.bmp *.gif *.webp *.tif *.tiff);;All files (*)</source>
        <translation>Imágenes (*.png *.jpg *.jpeg *.bmp *.gif *.webp *.tif *.tiff);;Todos los archivos (*)</translation>
    </message>
    <message>
        <source>Draw</source>
        <translation>Dibujar</translation>
    </message>
    <message>
        <source>Image file</source>
        <translation>Archivo de imagen</translation>
    </message>
    <message>
        <source>Open image…</source>
        <translation>Abrir imagen…</translation>
    </message>
    <message>
        <source>Choose an image file to classify (or drop one on the panel)</source>
        <translation>Elige un archivo de imagen para clasificar (o suéltalo en el panel)</translation>
    </message>
    <message>
        <source>Open image</source>
        <translation>Abrir imagen</translation>
    </message>
</context>
<context>
    <name>InsideDetail</name>
    <message>
        <source>Click a layer above to see it large.</source>
        <translation>Haz clic en una capa de arriba para verla en grande.</translation>
    </message>
    <message>
        <source>Working out which pixels drive it…</source>
        <translation>Calculando qué píxeles lo activan…</translation>
    </message>
    <message>
        <source>Which pixels drive it could not be worked out: {reason}</source>
        <translation>No se ha podido calcular qué píxeles lo activan: {reason}</translation>
    </message>
    <message>
        <source>map {n}</source>
        <translation>el mapa {n}</translation>
    </message>
    <message>
        <source>unit {n}</source>
        <translation>la unidad {n}</translation>
    </message>
    <message>
        <source>Bright: the pixels that change {what} of {layer} most (the gradient of its mean with respect to the input).</source>
        <translation>Brillante: los píxeles que más cambian {what} de {layer} (el gradiente de su media respecto a la entrada).</translation>
    </message>
    <message>
        <source>Click a map to see which pixels of the input drive it.</source>
        <translation>Haz clic en un mapa para ver qué píxeles de la entrada lo activan.</translation>
    </message>
    <message numerus="yes">
        <source>Its %n filter(s) of {h}×{w}: light weights add, dark ones subtract, grey is zero.</source>
        <translation>
            <numerusform>Su %n filtro de {h}×{w}: los pesos claros suman, los oscuros restan, el gris es cero.</numerusform>
            <numerusform>Sus %n filtros de {h}×{w}: los pesos claros suman, los oscuros restan, el gris es cero.</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>InsideView</name>
    <message>
        <source>Save picture…</source>
        <translation>Guardar imagen…</translation>
    </message>
    <message>
        <source>Save the strip of layers as a PNG picture</source>
        <translation>Guarda la tira de capas como imagen PNG</translation>
    </message>
    <message>
        <source>Draw a digit or open an image to see inside the model.</source>
        <translation>Dibuja un dígito o abre una imagen para ver el interior del modelo.</translation>
    </message>
    <message>
        <source>From the input (left) to the answer (right). Hover a layer to read what it does; click it to see it large.</source>
        <translation>De la entrada (izquierda) a la respuesta (derecha). Pasa el ratón por una capa para leer qué hace; haz clic para verla en grande.</translation>
    </message>
    <message>
        <source>{shown}/{total} maps</source>
        <translation>{shown}/{total} mapas</translation>
    </message>
    <message numerus="yes">
        <source>%n map(s)</source>
        <translation>
            <numerusform>%n mapa</numerusform>
            <numerusform>%n mapas</numerusform>
        </translation>
    </message>
    <message>
        <source>{shown}/{total} units</source>
        <translation>{shown}/{total} unidades</translation>
    </message>
    <message numerus="yes">
        <source>%n unit(s)</source>
        <translation>
            <numerusform>%n unidad</numerusform>
            <numerusform>%n unidades</numerusform>
        </translation>
    </message>
    <message>
        <source>frozen: it does not train</source>
        <translation>congelada: no se entrena</translation>
    </message>
    <message>
        <source>trainable</source>
        <translation>entrenable</translation>
    </message>
    <message>
        <source>output {shape} · {state}</source>
        <translation>salida {shape} · {state}</translation>
    </message>
    <message numerus="yes">
        <source>Shown: its %n most active map(s), brightest where it fires most.</source>
        <translation>
            <numerusform>Se muestra: su mapa más activo, más brillante donde más se activa.</numerusform>
            <numerusform>Se muestran: sus %n mapas más activos, más brillantes donde más se activan.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n more not shown.</source>
        <translation>
            <numerusform>%n más sin mostrar.</numerusform>
            <numerusform>%n más sin mostrar.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Shown: its %n strongest units, in order.</source>
        <translation>
            <numerusform>Se muestra: su unidad más fuerte.</numerusform>
            <numerusform>Se muestran: sus %n unidades más fuertes, en orden.</numerusform>
        </translation>
    </message>
    <message>
        <source>input</source>
        <translation>entrada</translation>
    </message>
    <message>
        <source>softmax</source>
        <translation>softmax</translation>
    </message>
    <message>
        <source>Save picture</source>
        <translation>Guardar imagen</translation>
    </message>
    <message>
        <source>PNG pictures (*.png)</source>
        <translation>Imágenes PNG (*.png)</translation>
    </message>
    <message>
        <source>the picture could not be written</source>
        <translation>no se ha podido escribir la imagen</translation>
    </message>
    <message>
        <source>The picture was not saved: {reason}</source>
        <translation>La imagen no se ha guardado: {reason}</translation>
    </message>
</context>
<context>
    <name>KFoldTable</name>
    <message>
        <source>Fold</source>
        <translation>Pliegue</translation>
    </message>
    <message>
        <source>Epochs</source>
        <translation>Épocas</translation>
    </message>
    <message>
        <source>Train accuracy</source>
        <translation>Exactitud de entrenamiento</translation>
    </message>
    <message>
        <source>Validation loss</source>
        <translation>Pérdida de validación</translation>
    </message>
    <message>
        <source>Validation accuracy</source>
        <translation>Exactitud de validación</translation>
    </message>
    <message>
        <source>K-Fold cross-validation results</source>
        <translation>Resultados de la validación cruzada K-Fold</translation>
    </message>
    <message>
        <source>Fold {n}</source>
        <translation>Pliegue {n}</translation>
    </message>
    <message>
        <source>Mean ± std</source>
        <translation>Media ± desv. típica</translation>
    </message>
    <message>
        <source>K-Fold cross-validation: {k} folds, none finished yet</source>
        <translation>Validación cruzada K-Fold: {k} pliegues, ninguno terminado aún</translation>
    </message>
    <message>
        <source>No K-Fold run yet</source>
        <translation>Aún no hay validación cruzada K-Fold</translation>
    </message>
    <message>
        <source>validation accuracy {mean} ± {std}</source>
        <translation>exactitud de validación {mean} ± {std}</translation>
    </message>
    <message>
        <source>K-Fold cross-validation: {done} of {k} folds · {accuracy}</source>
        <translation>Validación cruzada K-Fold: {done} de {k} pliegues · {accuracy}</translation>
    </message>
    <message>
        <source>K-Fold cross-validation: {done} folds · {accuracy}</source>
        <translation>Validación cruzada K-Fold: {done} pliegues · {accuracy}</translation>
    </message>
</context>
<context>
    <name>LayerTreePanel</name>
    <message>
        <source>BatchNorm layers keep running averages of their inputs, which they use when the model predicts. Training updates these averages even in a layer whose weights are frozen. Fine-tuning on a small dataset would then shift statistics learned on many more images, so by default they stay fixed in frozen layers. Untick to let them adapt to your images.</source>
        <translation>Las capas BatchNorm guardan promedios móviles de sus entradas, que usan cuando el modelo predice. El entrenamiento actualiza esos promedios incluso en una capa con los pesos congelados. Un ajuste fino con pocos datos desplazaría entonces estadísticas aprendidas con muchas más imágenes, así que por defecto quedan fijas en las capas congeladas. Desmárcalo para que se adapten a tus imágenes.</translation>
    </message>
    <message>
        <source>Load data to see the model&apos;s layers</source>
        <translation>Carga datos para ver las capas del modelo</translation>
    </message>
    <message>
        <source>Trainable parameters</source>
        <translation>Parámetros entrenables</translation>
    </message>
    <message>
        <source>Keep BatchNorm statistics of frozen layers fixed</source>
        <translation>Mantener fijas las estadísticas BatchNorm de las capas congeladas</translation>
    </message>
    <message>
        <source>Train all</source>
        <translation>Entrenar todo</translation>
    </message>
    <message>
        <source>Every layer learns (training from scratch or full fine-tuning)</source>
        <translation>Todas las capas aprenden (entrenamiento desde cero o ajuste fino completo)</translation>
    </message>
    <message>
        <source>Feature extraction</source>
        <translation>Extracción de características</translation>
    </message>
    <message>
        <source>Only the new head learns; the rest of the network keeps its weights and acts as a fixed feature extractor. Best with pre-trained weights and few images.</source>
        <translation>Solo aprende la cabeza nueva; el resto de la red conserva sus pesos y actúa como extractor de características fijo. Lo mejor con pesos preentrenados y pocas imágenes.</translation>
    </message>
    <message>
        <source>Fine-tune last</source>
        <translation>Ajuste fino de los últimos</translation>
    </message>
    <message>
        <source> block(s)</source>
        <translation> bloque(s)</translation>
    </message>
    <message>
        <source>The last N blocks and the head learn; the earlier blocks stay frozen</source>
        <translation>Aprenden los últimos N bloques y la cabeza; los bloques anteriores siguen congelados</translation>
    </message>
    <message>
        <source>Presets:</source>
        <translation>Preajustes:</translation>
    </message>
    <message>
        <source>Building {model} to list its layers…</source>
        <translation>Construyendo {model} para listar sus capas…</translation>
    </message>
    <message>
        <source>No layers to show</source>
        <translation>No hay capas que mostrar</translation>
    </message>
    <message>
        <source>Cannot show the layers: {error}</source>
        <translation>No se pueden mostrar las capas: {error}</translation>
    </message>
    <message>
        <source>How many of the {n} blocks before the head learn</source>
        <translation>Cuántos de los {n} bloques anteriores a la cabeza aprenden</translation>
    </message>
    <message>
        <source>No blocks in this model</source>
        <translation>Este modelo no tiene bloques</translation>
    </message>
</context>
<context>
    <name>LayerTreeView</name>
    <message>
        <source>Layer</source>
        <translation>Capa</translation>
    </message>
    <message>
        <source>Type</source>
        <translation>Tipo</translation>
    </message>
    <message>
        <source>Output shape</source>
        <translation>Forma de salida</translation>
    </message>
    <message>
        <source>Parameters</source>
        <translation>Parámetros</translation>
    </message>
    <message>
        <source>Trainable</source>
        <translation>Entrenable</translation>
    </message>
    <message>
        <source>Layers of the model</source>
        <translation>Capas del modelo</translation>
    </message>
    <message>
        <source>Tick the layers that should learn; unticked layers keep their weights</source>
        <translation>Marca las capas que deben aprender; las no marcadas conservan sus pesos</translation>
    </message>
    <message>
        <source>No weights: nothing to train or freeze</source>
        <translation>Sin pesos: nada que entrenar ni congelar</translation>
    </message>
    <message>
        <source>statistics fixed</source>
        <translation>estadísticas fijas</translation>
    </message>
    <message>
        <source>statistics update</source>
        <translation>estadísticas se actualizan</translation>
    </message>
    <message>
        <source>BN statistics fixed</source>
        <translation>estadísticas BN fijas</translation>
    </message>
    <message>
        <source>BN statistics update</source>
        <translation>estadísticas BN se actualizan</translation>
    </message>
    <message>
        <source>{trainable} of {total} parameters train</source>
        <translation>entrenan {trainable} de {total} parámetros</translation>
    </message>
</context>
<context>
    <name>LrFinder</name>
    <message>
        <source>Find learning rate</source>
        <translation>Buscar tasa de aprendizaje</translation>
    </message>
    <message>
        <source>Train a copy of the model briefly while the rate grows, to see which rates make the loss fall</source>
        <translation>Entrena brevemente una copia del modelo mientras la tasa crece, para ver qué tasas hacen bajar la pérdida</translation>
    </message>
    <message>
        <source>Stop</source>
        <translation>Detener</translation>
    </message>
    <message>
        <source>Use this rate</source>
        <translation>Usar esta tasa</translation>
    </message>
    <message>
        <source>Put the suggested learning rate into the form</source>
        <translation>Pone la tasa de aprendizaje sugerida en el formulario</translation>
    </message>
    <message>
        <source>Learning-rate range test</source>
        <translation>Prueba de rango de la tasa de aprendizaje</translation>
    </message>
    <message>
        <source>learning rate (log scale)</source>
        <translation>tasa de aprendizaje (escala logarítmica)</translation>
    </message>
    <message>
        <source>smoothed loss</source>
        <translation>pérdida suavizada</translation>
    </message>
    <message>
        <source>Learning rate set to {rate}</source>
        <translation>Tasa de aprendizaje fijada en {rate}</translation>
    </message>
    <message>
        <source>no suggestion</source>
        <translation>sin sugerencia</translation>
    </message>
    <message>
        <source>The loss never fell over the range: nothing to suggest.</source>
        <translation>La pérdida no bajó en todo el rango: no hay nada que sugerir.</translation>
    </message>
    <message>
        <source>Suggested: {rate}</source>
        <translation>Sugerida: {rate}</translation>
    </message>
    <message>
        <source>suggested</source>
        <translation>sugerida</translation>
    </message>
    <message>
        <source>Learning-rate range test stopped: {result}</source>
        <translation>Prueba de rango de la tasa de aprendizaje detenida: {result}</translation>
    </message>
    <message>
        <source>Learning-rate range test done: {result}</source>
        <translation>Prueba de rango de la tasa de aprendizaje terminada: {result}</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>Train an image classifier</source>
        <translation>Entrena un clasificador de imágenes</translation>
    </message>
    <message>
        <source>Loading PyTorch…</source>
        <translation>Cargando PyTorch…</translation>
    </message>
    <message>
        <source>3 · Train</source>
        <translation>3 · Entrenar</translation>
    </message>
    <message>
        <source>4 · Layers</source>
        <translation>4 · Capas</translation>
    </message>
    <message>
        <source>5 · Evaluate</source>
        <translation>5 · Evaluar</translation>
    </message>
    <message>
        <source>6 · Runs</source>
        <translation>6 · Ejecuciones</translation>
    </message>
    <message>
        <source>7 · Try it</source>
        <translation>7 · Pruébalo</translation>
    </message>
    <message>
        <source>8 · Compare</source>
        <translation>8 · Comparar</translation>
    </message>
    <message>
        <source>Ready: choose data (1) and a model (2), then Train (Ctrl+Return)</source>
        <translation>Listo: elige datos (1) y un modelo (2), y luego Entrenar (Ctrl+Intro)</translation>
    </message>
</context>
<context>
    <name>ModelExporter</name>
    <message>
        <source>Export model as ONNX…</source>
        <translation>Exportar modelo como ONNX…</translation>
    </message>
    <message>
        <source>Write the current model as an ONNX file other tools can run</source>
        <translation>Escribe el modelo actual como archivo ONNX que otras herramientas pueden ejecutar</translation>
    </message>
    <message>
        <source>ONNX export needs {packages}. Install the export extra: {hint}</source>
        <translation>La exportación a ONNX necesita {packages}. Instala el extra de exportación: {hint}</translation>
    </message>
    <message>
        <source>Train or open a model first: there is no model to export yet.</source>
        <translation>Entrena o abre un modelo primero: aún no hay ningún modelo que exportar.</translation>
    </message>
    <message>
        <source>Export the model as ONNX</source>
        <translation>Exportar el modelo como ONNX</translation>
    </message>
    <message>
        <source>ONNX models (*.onnx)</source>
        <translation>Modelos ONNX (*.onnx)</translation>
    </message>
    <message>
        <source>Exporting to {file}…</source>
        <translation>Exportando a {file}…</translation>
    </message>
    <message>
        <source>Exported to {path}: onnxruntime gives the same probabilities as PyTorch (largest difference {difference} on {n} {what}).</source>
        <translation>Exportado a {path}: onnxruntime da las mismas probabilidades que PyTorch (mayor diferencia {difference} en {n} {what}).</translation>
    </message>
</context>
<context>
    <name>ModelFiles</name>
    <message>
        <source>Taller models (*.pt)</source>
        <translation>Modelos de Taller (*.pt)</translation>
    </message>
    <message>
        <source>&amp;Save model…</source>
        <translation>&amp;Guardar modelo…</translation>
    </message>
    <message>
        <source>Save the trained model to a file (Ctrl+S)</source>
        <translation>Guarda el modelo entrenado en un archivo (Ctrl+S)</translation>
    </message>
    <message>
        <source>&amp;Open model…</source>
        <translation>&amp;Abrir modelo…</translation>
    </message>
    <message>
        <source>Open a model saved earlier (Ctrl+O)</source>
        <translation>Abre un modelo guardado antes (Ctrl+O)</translation>
    </message>
    <message>
        <source>Save model…</source>
        <translation>Guardar modelo…</translation>
    </message>
    <message>
        <source>Open model…</source>
        <translation>Abrir modelo…</translation>
    </message>
    <message>
        <source>Save model</source>
        <translation>Guardar modelo</translation>
    </message>
    <message>
        <source>Saving {file}…</source>
        <translation>Guardando {file}…</translation>
    </message>
    <message>
        <source>Open model</source>
        <translation>Abrir modelo</translation>
    </message>
    <message>
        <source>All files (*)</source>
        <translation>Todos los archivos (*)</translation>
    </message>
    <message>
        <source>Opening {file}…</source>
        <translation>Abriendo {file}…</translation>
    </message>
</context>
<context>
    <name>ModelPanel</name>
    <message>
        <source>SGD with momentum</source>
        <translation>SGD con momento</translation>
    </message>
    <message>
        <source>Constant</source>
        <translation>Constante</translation>
    </message>
    <message>
        <source>Step decay</source>
        <translation>Decaimiento escalonado</translation>
    </message>
    <message>
        <source>Cosine</source>
        <translation>Coseno</translation>
    </message>
    <message>
        <source>One-cycle</source>
        <translation>Un ciclo (one-cycle)</translation>
    </message>
    <message>
        <source>Automatic</source>
        <translation>Automático</translation>
    </message>
    <message>
        <source>Float32 (off)</source>
        <translation>Float32 (desactivada)</translation>
    </message>
    <message>
        <source>BFloat16 mixed</source>
        <translation>BFloat16 mixta</translation>
    </message>
    <message>
        <source>Float16 mixed (GPU)</source>
        <translation>Float16 mixta (GPU)</translation>
    </message>
    <message>
        <source>bfloat16 (this CPU has it)</source>
        <translation>bfloat16 (esta CPU lo tiene)</translation>
    </message>
    <message>
        <source>float32 in channels-last layout for convolutional models (this CPU lacks bfloat16)</source>
        <translation>float32 con disposición channels-last para los modelos convolucionales (esta CPU no tiene bfloat16)</translation>
    </message>
    <message>
        <source>float32 (this CPU lacks bfloat16)</source>
        <translation>float32 (esta CPU no tiene bfloat16)</translation>
    </message>
    <message>
        <source>Number format of the computation. Automatic: on the CPU {cpu}; on a GPU float16 with gradient scaling. Weights, loss and metrics stay float32; choose Float32 to turn it off</source>
        <translation>Formato numérico del cálculo. Automático: en la CPU {cpu}; en una GPU float16 con escalado de gradientes. Los pesos, la pérdida y las métricas siguen en float32; elige Float32 para desactivarlo</translation>
    </message>
    <message>
        <source>The network that learns from the images</source>
        <translation>La red que aprende de las imágenes</translation>
    </message>
    <message>
        <source>How the weights are updated</source>
        <translation>Cómo se actualizan los pesos</translation>
    </message>
    <message>
        <source>Step size of each update; 0.001 suits Adam, 0.01–0.1 suits SGD</source>
        <translation>Tamaño del paso de cada actualización; 0,001 va bien con Adam, 0,01–0,1 con SGD</translation>
    </message>
    <message>
        <source>Passes over the training images</source>
        <translation>Pasadas por las imágenes de entrenamiento</translation>
    </message>
    <message>
        <source>Images per update</source>
        <translation>Imágenes por actualización</translation>
    </message>
    <message>
        <source>Share of the training images held back to check the model on</source>
        <translation>Parte de las imágenes de entrenamiento reservada para comprobar el modelo</translation>
    </message>
    <message>
        <source>Same seed, same run</source>
        <translation>Misma semilla, misma ejecución</translation>
    </message>
    <message>
        <source>Where the computation runs</source>
        <translation>Dónde se hace el cálculo</translation>
    </message>
    <message>
        <source>GPU (not found)</source>
        <translation>GPU (no encontrada)</translation>
    </message>
    <message>
        <source>Apple GPU (MPS)</source>
        <translation>GPU de Apple (MPS)</translation>
    </message>
    <message>
        <source>Augment images</source>
        <translation>Aumentar imágenes</translation>
    </message>
    <message>
        <source>Small random shifts (and flips where they make sense) each epoch</source>
        <translation>Pequeños desplazamientos al azar (y volteos donde tienen sentido) en cada época</translation>
    </message>
    <message>
        <source>How the learning rate changes over the run</source>
        <translation>Cómo cambia la tasa de aprendizaje durante la ejecución</translation>
    </message>
    <message>
        <source>K-Fold cross-validation: train K models, each validated on another fold</source>
        <translation>Validación cruzada K-Fold: entrena K modelos, cada uno validado con otro pliegue</translation>
    </message>
    <message>
        <source>Off</source>
        <translation>Desactivada</translation>
    </message>
    <message>
        <source>Model</source>
        <translation>Modelo</translation>
    </message>
    <message>
        <source>Epochs</source>
        <translation>Épocas</translation>
    </message>
    <message>
        <source>Learning rate</source>
        <translation>Tasa de aprendizaje</translation>
    </message>
    <message>
        <source>Batch size</source>
        <translation>Tamaño de lote</translation>
    </message>
    <message>
        <source>Advanced</source>
        <translation>Avanzado</translation>
    </message>
    <message>
        <source>Optimizer, regularisation, schedule, validation share, seed, device, K-Fold</source>
        <translation>Optimizador, regularización, programación, parte de validación, semilla, dispositivo, K-Fold</translation>
    </message>
    <message>
        <source>Optimizer</source>
        <translation>Optimizador</translation>
    </message>
    <message>
        <source>Momentum</source>
        <translation>Momento</translation>
    </message>
    <message>
        <source>Weight decay</source>
        <translation>Decaimiento de pesos</translation>
    </message>
    <message>
        <source>Label smoothing</source>
        <translation>Suavizado de etiquetas</translation>
    </message>
    <message>
        <source>LR schedule</source>
        <translation>Programación de la tasa</translation>
    </message>
    <message>
        <source>Validation</source>
        <translation>Validación</translation>
    </message>
    <message>
        <source>Seed</source>
        <translation>Semilla</translation>
    </message>
    <message>
        <source>Device</source>
        <translation>Dispositivo</translation>
    </message>
    <message>
        <source>Precision</source>
        <translation>Precisión numérica</translation>
    </message>
    <message>
        <source>Compare…</source>
        <translation>Comparar…</translation>
    </message>
    <message>
        <source>Compare variants of this run in one go (8 · Compare)</source>
        <translation>Comparar variantes de esta ejecución de una vez (8 · Comparar)</translation>
    </message>
    <message>
        <source>Recipe: none from a checkpoint (Taller&apos;s defaults)</source>
        <translation>Receta: ninguna desde un punto de control (los valores por defecto de Taller)</translation>
    </message>
    <message>
        <source>Recipe: {model}, {start}</source>
        <translation>Receta: {model}, {start}</translation>
    </message>
    <message>
        <source>Epochs, learning rate, batch size, augmentation and the advanced optimizer and schedule are filled in with the recipe measured to learn with this model and start (README, Default recipes; taller recipes). Change any of them: a value you set stays until the model or the start changes it.</source>
        <translation>Épocas, tasa de aprendizaje, tamaño de lote, aumento de datos y, en Avanzado, el optimizador y el programa se rellenan con la receta medida para aprender con este modelo e inicio (README, Recetas por defecto; taller recipes). Cambie cualquiera: un valor que usted fije se mantiene hasta que el modelo o el inicio lo cambien.</translation>
    </message>
</context>
<context>
    <name>ModelPicker</name>
    <message>
        <source>Taller models (*.pt);;All files (*)</source>
        <translation>Modelos de Taller (*.pt);;Todos los archivos (*)</translation>
    </message>
    <message>
        <source>Model used for predictions</source>
        <translation>Modelo usado para las predicciones</translation>
    </message>
    <message>
        <source>The model that predicts: the one just trained or a saved checkpoint</source>
        <translation>El modelo que predice: el recién entrenado o un punto de control guardado</translation>
    </message>
    <message>
        <source>No model yet: train one, or pick a saved model</source>
        <translation>Aún no hay modelo: entrena uno o elige un modelo guardado</translation>
    </message>
    <message>
        <source>Model just trained (none yet)</source>
        <translation>Modelo recién entrenado (aún ninguno)</translation>
    </message>
    <message>
        <source>{name} (default digits model)</source>
        <translation>{name} (modelo de dígitos por defecto)</translation>
    </message>
    <message>
        <source>Open…</source>
        <translation>Abrir…</translation>
    </message>
    <message>
        <source>Open model</source>
        <translation>Abrir modelo</translation>
    </message>
    <message>
        <source>Loading {file}…</source>
        <translation>Cargando {file}…</translation>
    </message>
</context>
<context>
    <name>NextStepBar</name>
    <message>
        <source>5 · Evaluate</source>
        <translation>5 · Evaluar</translation>
    </message>
    <message>
        <source>7 · Try it</source>
        <translation>7 · Pruébalo</translation>
    </message>
    <message>
        <source>Hide this note</source>
        <translation>Ocultar esta nota</translation>
    </message>
    <message>
        <source>Hide the next-step note</source>
        <translation>Ocultar la nota del siguiente paso</translation>
    </message>
</context>
<context>
    <name>PlanDialog</name>
    <message>
        <source>from scratch</source>
        <translation>desde cero</translation>
    </message>
    <message>
        <source>frozen ImageNet layers, new head</source>
        <translation>capas de ImageNet congeladas, cabeza nueva</translation>
    </message>
    <message>
        <source>ImageNet weights, fine-tuned</source>
        <translation>pesos de ImageNet, ajuste fino</translation>
    </message>
    <message>
        <source>Compare approaches</source>
        <translation>Comparar enfoques</translation>
    </message>
    <message numerus="yes">
        <source>Each variant changes one thing of the run the forms describe: {model} on {dataset}, %n epoch(s), learning rate {lr}, batch size {batch}.</source>
        <translation>
            <numerusform>Cada variante cambia una cosa de la ejecución que describen los formularios: {model} con {dataset}, %n época, tasa de aprendizaje {lr}, tamaño de lote {batch}.</numerusform>
            <numerusform>Cada variante cambia una cosa de la ejecución que describen los formularios: {model} con {dataset}, %n épocas, tasa de aprendizaje {lr}, tamaño de lote {batch}.</numerusform>
        </translation>
    </message>
    <message>
        <source>The comparison&apos;s folder is runs/compare-&lt;name&gt;-N</source>
        <translation>La carpeta de la comparación es runs/compare-&lt;nombre&gt;-N</translation>
    </message>
    <message>
        <source>One setting, with a list of values</source>
        <translation>Un ajuste, con una lista de valores</translation>
    </message>
    <message>
        <source>a list</source>
        <translation>una lista</translation>
    </message>
    <message>
        <source>a log range from</source>
        <translation>un rango logarítmico de</translation>
    </message>
    <message>
        <source>to</source>
        <translation>a</translation>
    </message>
    <message>
        <source>in</source>
        <translation>en</translation>
    </message>
    <message>
        <source>steps</source>
        <translation>pasos</translation>
    </message>
    <message>
        <source>Run every variant with this many seeds (other splits) for error bars and a paired test</source>
        <translation>Entrenar cada variante con este número de semillas (otras divisiones) para barras de error y una prueba pareada</translation>
    </message>
    <message>
        <source>Name (click to edit)</source>
        <translation>Nombre (clic para editar)</translation>
    </message>
    <message>
        <source>What it changes</source>
        <translation>Qué cambia</translation>
    </message>
    <message>
        <source>Start</source>
        <translation>Empezar</translation>
    </message>
    <message>
        <source>Compare</source>
        <translation>Comparar</translation>
    </message>
    <message>
        <source>Setting</source>
        <translation>Ajuste</translation>
    </message>
    <message>
        <source>Values</source>
        <translation>Valores</translation>
    </message>
    <message>
        <source>Repeats (seeds)</source>
        <translation>Repeticiones (semillas)</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>Nombre</translation>
    </message>
    <message>
        <source>Separate the values with {separator}, such as {example}</source>
        <translation>Separa los valores con {separator}, como en {example}</translation>
    </message>
    <message>
        <source>starting point: {start}</source>
        <translation>punto de partida: {start}</translation>
    </message>
    <message>
        <source>Checking the plan…</source>
        <translation>Comprobando el plan…</translation>
    </message>
    <message numerus="yes">
        <source>%n run(s), about {time} in all.</source>
        <translation>
            <numerusform>%n ejecución, unos {time} en total.</numerusform>
            <numerusform>%n ejecuciones, unos {time} en total.</numerusform>
        </translation>
    </message>
    <message>
        <source>The plan cannot start yet.</source>
        <translation>El plan aún no puede empezar.</translation>
    </message>
</context>
<context>
    <name>PredictionView</name>
    <message>
        <source> Bright colours mark the pixels that drove the prediction most.</source>
        <translation> Los colores brillantes marcan los píxeles que más pesaron en la predicción.</translation>
    </message>
    <message>
        <source>The input the model sees appears here.</source>
        <translation>Aquí aparece la entrada que ve el modelo.</translation>
    </message>
    <message>
        <source>Predicted class</source>
        <translation>Clase predicha</translation>
    </message>
    <message>
        <source>Most likely classes</source>
        <translation>Clases más probables</translation>
    </message>
    <message>
        <source>The input the model sees</source>
        <translation>La entrada que ve el modelo</translation>
    </message>
    <message>
        <source>Show what drove the prediction</source>
        <translation>Mostrar qué llevó a la predicción</translation>
    </message>
    <message>
        <source>HiResCAM, a Grad-CAM variant: colour the pixels that pushed the model towards its answer (bright = more)</source>
        <translation>HiResCAM, una variante de Grad-CAM: colorea los píxeles que empujaron al modelo hacia su respuesta (más brillante = más)</translation>
    </message>
    <message>
        <source>the model&apos;s answer</source>
        <translation>la respuesta del modelo</translation>
    </message>
    <message>
        <source>unsure: no class reaches 50%</source>
        <translation>dudosa: ninguna clase llega al 50 %</translation>
    </message>
</context>
<context>
    <name>PreviewGrid</name>
    <message>
        <source>Sample images</source>
        <translation>Imágenes de muestra</translation>
    </message>
</context>
<context>
    <name>ProbabilityPlot</name>
    <message>
        <source>Class probabilities</source>
        <translation>Probabilidades por clase</translation>
    </message>
    <message>
        <source>probability</source>
        <translation>probabilidad</translation>
    </message>
</context>
<context>
    <name>ProcessControls</name>
    <message>
        <source>How many copies of the training run side by side, each on its share of the data (one per GPU, or CPU cores). 1: train in this window. More: the same training runs as a command (PyTorch&apos;s torchrun, DistributedDataParallel); its curves follow it here</source>
        <translation>Cuántas copias del entrenamiento se ejecutan a la vez, cada una con su parte de los datos (una por GPU, o núcleos de CPU). 1: entrenar en esta ventana. Más: el mismo entrenamiento se ejecuta como orden (torchrun de PyTorch, DistributedDataParallel); sus curvas lo siguen aquí</translation>
    </message>
    <message>
        <source>Parallel processes</source>
        <translation>Procesos en paralelo</translation>
    </message>
    <message>
        <source>Parallel processes:</source>
        <translation>Procesos en paralelo:</translation>
    </message>
    <message>
        <source>Copy as command</source>
        <translation>Copiar como orden</translation>
    </message>
    <message>
        <source>Copy the main.py train command of these settings, to run them on a bigger machine</source>
        <translation>Copia la orden main.py train con estos ajustes, para ejecutarla en una máquina más grande</translation>
    </message>
</context>
<context>
    <name>ProcessRun</name>
    <message>
        <source>Could not start {program}</source>
        <translation>No se pudo iniciar {program}</translation>
    </message>
    <message>
        <source>The run ended with exit status {code}</source>
        <translation>La ejecución terminó con el código de salida {code}</translation>
    </message>
    <message>
        <source>Copied: {command}</source>
        <translation>Copiado: {command}</translation>
    </message>
    <message numerus="yes">
        <source>Running on %n process(es) in {folder}</source>
        <translation>
            <numerusform>Ejecutándose en %n proceso en {folder}</numerusform>
            <numerusform>Ejecutándose en %n procesos en {folder}</numerusform>
        </translation>
    </message>
    <message>
        <source>The run ended before an epoch finished: nothing was saved</source>
        <translation>La ejecución terminó antes de acabar una época: no se guardó nada</translation>
    </message>
    <message>
        <source>Finished: {folder}</source>
        <translation>Terminado: {folder}</translation>
    </message>
</context>
<context>
    <name>QueueProgress</name>
    <message>
        <source>Comparison progress</source>
        <translation>Progreso de la comparación</translation>
    </message>
    <message>
        <source>Progress of the run going on</source>
        <translation>Progreso de la ejecución en curso</translation>
    </message>
    <message>
        <source>No comparison running</source>
        <translation>Ninguna comparación en curso</translation>
    </message>
    <message>
        <source>{variant}: starting…</source>
        <translation>{variant}: empezando…</translation>
    </message>
    <message>
        <source>{variant}: epoch {epoch}/{epochs} · batch {batch}/{batches}</source>
        <translation>{variant}: época {epoch}/{epochs} · lote {batch}/{batches}</translation>
    </message>
    <message>
        <source> · stopping…</source>
        <translation> · deteniendo…</translation>
    </message>
    <message>
        <source>Stopping after this batch…</source>
        <translation>Deteniendo tras este lote…</translation>
    </message>
    <message>
        <source>Run {run} of {runs}</source>
        <translation>Ejecución {run} de {runs}</translation>
    </message>
    <message>
        <source> · about {time} left</source>
        <translation> · quedan unos {time}</translation>
    </message>
</context>
<context>
    <name>ReadmeDialog</name>
    <message>
        <source>Taller README</source>
        <translation>README de Taller</translation>
    </message>
    <message>
        <source>The README is not on this machine (looked for {path}).</source>
        <translation>El README no está en este equipo (se buscó {path}).</translation>
    </message>
</context>
<context>
    <name>RunsLibraryBar</name>
    <message>
        <source>Filter runs…</source>
        <translation>Filtrar ejecuciones…</translation>
    </message>
    <message>
        <source>Open</source>
        <translation>Abrir</translation>
    </message>
    <message>
        <source>Open the run&apos;s model: its curves, evaluation and Try it</source>
        <translation>Abre el modelo de la ejecución: sus curvas, evaluación y Pruébalo</translation>
    </message>
    <message>
        <source>Run again</source>
        <translation>Repetir ejecución</translation>
    </message>
    <message>
        <source>Train a new run with the same data, model and settings</source>
        <translation>Entrena una ejecución nueva con los mismos datos, modelo y ajustes</translation>
    </message>
    <message>
        <source>Delete…</source>
        <translation>Borrar…</translation>
    </message>
    <message>
        <source>Delete the selected run folders from disk (asks first)</source>
        <translation>Borra del disco las carpetas de las ejecuciones seleccionadas (pregunta antes)</translation>
    </message>
    <message>
        <source>Compare…</source>
        <translation>Comparar…</translation>
    </message>
    <message>
        <source>Compare approaches in one go: variants of the forms&apos; run, one after another</source>
        <translation>Comparar enfoques de una vez: variantes de la ejecución de los formularios, una tras otra</translation>
    </message>
    <message>
        <source>Comparisons</source>
        <translation>Comparaciones</translation>
    </message>
    <message>
        <source>Show a comparison made before on the Compare tab</source>
        <translation>Mostrar una comparación anterior en la pestaña Comparar</translation>
    </message>
    <message numerus="yes">
        <source>Runs: %n saved run(s) found on disk</source>
        <translation>
            <numerusform>Ejecuciones: %n ejecución guardada encontrada en el disco</numerusform>
            <numerusform>Ejecuciones: %n ejecuciones guardadas encontradas en el disco</numerusform>
        </translation>
    </message>
    <message>
        <source>No comparison yet: Compare… plans one</source>
        <translation>Aún no hay comparaciones: Comparar… planea una</translation>
    </message>
    <message>
        <source> and {n} more</source>
        <translation> y {n} más</translation>
    </message>
    <message numerus="yes">
        <source>Delete %n run folder(s) from disk: {names}?
Their models and files cannot be recovered.</source>
        <translation>
            <numerusform>¿Borrar %n carpeta de ejecución del disco: {names}?
Sus modelos y archivos no se podrán recuperar.</numerusform>
            <numerusform>¿Borrar %n carpetas de ejecución del disco: {names}?
Sus modelos y archivos no se podrán recuperar.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Deleted %n run folder(s)</source>
        <translation>
            <numerusform>Borrada %n carpeta de ejecución</numerusform>
            <numerusform>Borradas %n carpetas de ejecución</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>RunsPanel</name>
    <message>
        <source>Accuracy (%)</source>
        <translation>Exactitud (%)</translation>
    </message>
    <message>
        <source>Loss</source>
        <translation>Pérdida</translation>
    </message>
    <message>
        <source>Add from file…</source>
        <translation>Añadir desde archivo…</translation>
    </message>
    <message>
        <source>Add saved models (.pt) to the comparison</source>
        <translation>Añade modelos guardados (.pt) a la comparación</translation>
    </message>
    <message>
        <source>Remove</source>
        <translation>Quitar</translation>
    </message>
    <message>
        <source>Export CSV…</source>
        <translation>Exportar CSV…</translation>
    </message>
    <message>
        <source>Export as notebook…</source>
        <translation>Exportar como cuaderno…</translation>
    </message>
    <message>
        <source>Write the selected run as a Jupyter notebook (or .py script) of plain PyTorch that redoes it</source>
        <translation>Escribe la ejecución seleccionada como cuaderno Jupyter (o script .py) de PyTorch puro que lo repite</translation>
    </message>
    <message>
        <source>Plot</source>
        <translation>Gráfico</translation>
    </message>
    <message>
        <source>Add saved models to the comparison</source>
        <translation>Añadir modelos guardados a la comparación</translation>
    </message>
    <message>
        <source>Taller models (*.pt)</source>
        <translation>Modelos de Taller (*.pt)</translation>
    </message>
    <message>
        <source>Export the runs table</source>
        <translation>Exportar la tabla de ejecuciones</translation>
    </message>
    <message>
        <source>CSV files (*.csv)</source>
        <translation>Archivos CSV (*.csv)</translation>
    </message>
    <message>
        <source>Cannot write {path}: {reason}. Choose another place.</source>
        <translation>No se puede escribir {path}: {reason}. Elige otro lugar.</translation>
    </message>
    <message>
        <source>Runs table written to {path}</source>
        <translation>Tabla de ejecuciones escrita en {path}</translation>
    </message>
    <message>
        <source>Export the run as code</source>
        <translation>Exportar la ejecución como código</translation>
    </message>
    <message>
        <source>Jupyter notebooks (*.ipynb);;Python scripts (*.py)</source>
        <translation>Cuadernos Jupyter (*.ipynb);;Scripts de Python (*.py)</translation>
    </message>
    <message numerus="yes">
        <source>Added %n saved run(s) to the comparison</source>
        <translation>
            <numerusform>Añadida %n ejecución guardada a la comparación</numerusform>
            <numerusform>Añadidas %n ejecuciones guardadas a la comparación</numerusform>
        </translation>
    </message>
    <message>
        <source>Run written as code to {path}</source>
        <translation>Ejecución escrita como código en {path}</translation>
    </message>
</context>
<context>
    <name>RunsPlot</name>
    <message>
        <source>epoch</source>
        <translation>época</translation>
    </message>
    <message>
        <source>validation solid, train dashed</source>
        <translation>validación continua, entrenamiento discontinua</translation>
    </message>
    <message>
        <source>Select one or more runs above to compare them</source>
        <translation>Selecciona arriba una o más ejecuciones para compararlas</translation>
    </message>
</context>
<context>
    <name>RunsTable</name>
    <message>
        <source>Run</source>
        <translation>Ejecución</translation>
    </message>
    <message>
        <source>Dataset</source>
        <translation>Conjunto de datos</translation>
    </message>
    <message>
        <source>Model</source>
        <translation>Modelo</translation>
    </message>
    <message>
        <source>Starting point</source>
        <translation>Punto de partida</translation>
    </message>
    <message>
        <source>Trainable / total params</source>
        <translation>Parámetros entrenables / totales</translation>
    </message>
    <message>
        <source>Epochs</source>
        <translation>Épocas</translation>
    </message>
    <message>
        <source>Train loss</source>
        <translation>Pérdida de entrenamiento</translation>
    </message>
    <message>
        <source>Train acc</source>
        <translation>Exactitud de entrenamiento</translation>
    </message>
    <message>
        <source>Val loss</source>
        <translation>Pérdida de validación</translation>
    </message>
    <message>
        <source>Val acc</source>
        <translation>Exactitud de validación</translation>
    </message>
    <message>
        <source>Test acc</source>
        <translation>Exactitud de prueba</translation>
    </message>
    <message>
        <source>Wall time</source>
        <translation>Tiempo real</translation>
    </message>
    <message>
        <source>Runs compared</source>
        <translation>Ejecuciones comparadas</translation>
    </message>
</context>
<context>
    <name>StartingPoint</name>
    <message>
        <source>Random initialisation</source>
        <translation>Inicialización aleatoria</translation>
    </message>
    <message>
        <source>ImageNet weights (local cache)</source>
        <translation>Pesos de ImageNet (copia local)</translation>
    </message>
    <message>
        <source>From a Taller checkpoint…</source>
        <translation>Desde un punto de control de Taller…</translation>
    </message>
    <message>
        <source>Every weight starts random: training from scratch.</source>
        <translation>Todos los pesos empiezan al azar: entrenamiento desde cero.</translation>
    </message>
    <message>
        <source>The layers start from what they learned on ImageNet&apos;s 1.2 million photos; the head is new. Try &apos;Feature extraction&apos; below, then two phases.</source>
        <translation>Las capas parten de lo que aprendieron con los 1,2 millones de fotos de ImageNet; la cabeza es nueva. Prueba &apos;Extracción de características&apos; abajo y luego dos fases.</translation>
    </message>
    <message>
        <source>Transfer learning from a model you trained before.</source>
        <translation>Aprendizaje por transferencia desde un modelo que entrenaste antes.</translation>
    </message>
    <message>
        <source>Starting point</source>
        <translation>Punto de partida</translation>
    </message>
    <message>
        <source>Where the weights start before training</source>
        <translation>De dónde parten los pesos antes de entrenar</translation>
    </message>
    <message>
        <source>A model saved earlier in Taller (.pt)</source>
        <translation>Un modelo guardado antes en Taller (.pt)</translation>
    </message>
    <message>
        <source>Transfer learning: start from a model you trained before (e.g. on digits) and go on with this data; when the classes differ its head is replaced by a new one</source>
        <translation>Aprendizaje por transferencia: parte de un modelo que entrenaste antes (p. ej. con dígitos) y sigue con estos datos; si las clases difieren, su cabeza se sustituye por una nueva</translation>
    </message>
    <message>
        <source>Browse…</source>
        <translation>Examinar…</translation>
    </message>
    <message>
        <source>Choose the checkpoint to start from on the Layers tab, or another starting point</source>
        <translation>Elige el punto de control del que partir en la pestaña Capas, u otro punto de partida</translation>
    </message>
    <message>
        <source>Cannot start from that checkpoint: {error}</source>
        <translation>No se puede partir de ese punto de control: {error}</translation>
    </message>
    <message>
        <source>Cannot start from {file}: {problem}</source>
        <translation>No se puede partir de {file}: {problem}</translation>
    </message>
    <message>
        <source>Start from a model</source>
        <translation>Partir de un modelo</translation>
    </message>
    <message>
        <source>Taller models (*.pt);;All files (*)</source>
        <translation>Modelos de Taller (*.pt);;Todos los archivos (*)</translation>
    </message>
    <message>
        <source>Starting from random weights: {reason}</source>
        <translation>Se parte de pesos aleatorios: {reason}</translation>
    </message>
    <message>
        <source>Reading {file}…</source>
        <translation>Leyendo {file}…</translation>
    </message>
    <message>
        <source>It is a {theirs} model but the chosen model is {ours}: choose {theirs} in the Model settings to start from it, or pick another checkpoint.</source>
        <translation>Es un modelo {theirs}, pero el modelo elegido es {ours}: elige {theirs} en los ajustes del Modelo para partir de él, o escoge otro punto de control.</translation>
    </message>
    <message>
        <source>Its head ({theirs} classes) is replaced by a new one for your {ours} classes; every other layer starts from its weights.</source>
        <translation>Su cabeza ({theirs} clases) se sustituye por una nueva para tus {ours} clases; todas las demás capas parten de sus pesos.</translation>
    </message>
    <message>
        <source>Same classes: every layer, the head too, starts from its weights.</source>
        <translation>Mismas clases: todas las capas, también la cabeza, parten de sus pesos.</translation>
    </message>
    <message>
        <source>It saw {theirs}-channel images, your data has {ours}: layers whose weights do not fit (the first one) start random.</source>
        <translation>Vio imágenes de {theirs} canales y tus datos tienen {ours}: las capas cuyos pesos no encajan (la primera) empiezan al azar.</translation>
    </message>
</context>
<context>
    <name>Task</name>
    <message>
        <source>The task ended without a result.</source>
        <translation>La tarea terminó sin resultado.</translation>
    </message>
</context>
<context>
    <name>TrainingPanel</name>
    <message>
        <source>Train</source>
        <translation>Entrenar</translation>
    </message>
    <message>
        <source>Train the model on the chosen data with these settings</source>
        <translation>Entrena el modelo con los datos elegidos y estos ajustes</translation>
    </message>
    <message>
        <source>Stop</source>
        <translation>Detener</translation>
    </message>
    <message>
        <source>Stop after the current batch; the model keeps what it learned so far</source>
        <translation>Detener tras el lote actual; el modelo conserva lo aprendido hasta ahora</translation>
    </message>
    <message>
        <source>Resume…</source>
        <translation>Reanudar…</translation>
    </message>
    <message>
        <source>Continue a stopped or crashed run from its folder at its next epoch</source>
        <translation>Continúa una ejecución detenida o interrumpida desde su carpeta, en su siguiente época</translation>
    </message>
    <message>
        <source>Ready</source>
        <translation>Listo</translation>
    </message>
    <message>
        <source>Training progress</source>
        <translation>Progreso del entrenamiento</translation>
    </message>
    <message>
        <source>Each epoch adds a line here.</source>
        <translation>Cada época añade aquí una línea.</translation>
    </message>
    <message>
        <source>Training log</source>
        <translation>Registro del entrenamiento</translation>
    </message>
    <message numerus="yes">
        <source>Training {model} on {dataset}: %n epoch(s), batch size {batch}, {optimizer} at learning rate {lr}</source>
        <translation>
            <numerusform>Entrenando {model} con {dataset}: %n época, tamaño de lote {batch}, {optimizer} con tasa de aprendizaje {lr}</numerusform>
            <numerusform>Entrenando {model} con {dataset}: %n épocas, tamaño de lote {batch}, {optimizer} con tasa de aprendizaje {lr}</numerusform>
        </translation>
    </message>
    <message>
        <source>Starting…</source>
        <translation>Empezando…</translation>
    </message>
    <message>
        <source>Resume run</source>
        <translation>Reanudar ejecución</translation>
    </message>
    <message>
        <source>Resuming…</source>
        <translation>Reanudando…</translation>
    </message>
    <message>
        <source>Stopping after this batch…</source>
        <translation>Deteniendo tras este lote…</translation>
    </message>
    <message>
        <source>Stopping…</source>
        <translation>Deteniendo…</translation>
    </message>
    <message>
        <source>Warning: {message}</source>
        <translation>Aviso: {message}</translation>
    </message>
    <message>
        <source>Failed</source>
        <translation>Falló</translation>
    </message>
    <message>
        <source>Run failed: {reason}</source>
        <translation>La ejecución falló: {reason}</translation>
    </message>
    <message>
        <source>Training failed</source>
        <translation>El entrenamiento falló</translation>
    </message>
    <message>
        <source> · test accuracy {accuracy}</source>
        <translation> · exactitud de prueba {accuracy}</translation>
    </message>
    <message numerus="yes">
        <source>Ended after %n good epoch(s) ({took}){test}</source>
        <translation>
            <numerusform>Terminó tras %n época correcta ({took}){test}</numerusform>
            <numerusform>Terminó tras %n épocas correctas ({took}){test}</numerusform>
        </translation>
    </message>
    <message>
        <source> Save model keeps the last good model.</source>
        <translation> Guardar modelo conserva el último modelo correcto.</translation>
    </message>
    <message numerus="yes">
        <source>Stopped after %n epoch(s) ({took}){test}</source>
        <translation>
            <numerusform>Detenido tras %n época ({took}){test}</numerusform>
            <numerusform>Detenido tras %n épocas ({took}){test}</numerusform>
        </translation>
    </message>
    <message>
        <source>Finished in {took}{test}</source>
        <translation>Terminado en {took}{test}</translation>
    </message>
    <message>
        <source>{summary} · Save model (Ctrl+S) keeps it</source>
        <translation>{summary} · Guardar modelo (Ctrl+S) lo conserva</translation>
    </message>
    <message>
        <source>Saved model to {path}</source>
        <translation>Modelo guardado en {path}</translation>
    </message>
    <message>
        <source>Saved {file}</source>
        <translation>Guardado {file}</translation>
    </message>
    <message>
        <source>Opened {file}</source>
        <translation>Abierto {file}</translation>
    </message>
    <message>
        <source>Opened model {path}</source>
        <translation>Modelo abierto {path}</translation>
    </message>
</context>
<context>
    <name>WebcamDialog</name>
    <message>
        <source>Webcam</source>
        <translation>Cámara web</translation>
    </message>
    <message>
        <source>Take picture</source>
        <translation>Tomar foto</translation>
    </message>
    <message>
        <source>Done</source>
        <translation>Hecho</translation>
    </message>
    <message>
        <source>No camera was found on this computer.</source>
        <translation>No se encontró ninguna cámara en este ordenador.</translation>
    </message>
    <message numerus="yes">
        <source>%n picture(s) taken</source>
        <translation>
            <numerusform>%n foto tomada</numerusform>
            <numerusform>%n fotos tomadas</numerusform>
        </translation>
    </message>
    <message>
        <source>the camera reported an error</source>
        <translation>la cámara informó de un error</translation>
    </message>
    <message>
        <source>Webcam: {message}</source>
        <translation>Cámara web: {message}</translation>
    </message>
</context>
<context>
    <name>app</name>
    <message>
        <source>Taller</source>
        <translation>Taller</translation>
    </message>
</context>
<context>
    <name>compare_values</name>
    <message>
        <source>yes</source>
        <translation>sí</translation>
    </message>
    <message>
        <source>no</source>
        <translation>no</translation>
    </message>
</context>
<context>
    <name>data_preview</name>
    <message>
        <source>… and {n} more</source>
        <translation>… y {n} más</translation>
    </message>
    <message>
        <source>&lt;b&gt;{n} classes&lt;/b&gt;, {h}×{w} grey images.</source>
        <translation>&lt;b&gt;{n} clases&lt;/b&gt;, imágenes en gris de {h}×{w}.</translation>
    </message>
    <message>
        <source>&lt;b&gt;{n} classes&lt;/b&gt;, {h}×{w} colour images.</source>
        <translation>&lt;b&gt;{n} clases&lt;/b&gt;, imágenes en color de {h}×{w}.</translation>
    </message>
    <message>
        <source>Images per class: {counts}</source>
        <translation>Imágenes por clase: {counts}</translation>
    </message>
    <message>
        <source>Files skipped: {n} (first: {file}: {reason})</source>
        <translation>Archivos omitidos: {n} (primero: {file}: {reason})</translation>
    </message>
    <message>
        <source>Layout: {layout}</source>
        <translation>Estructura: {layout}</translation>
    </message>
    <message>
        <source>&lt;b&gt;Warning:&lt;/b&gt; {warning}</source>
        <translation>&lt;b&gt;Aviso:&lt;/b&gt; {warning}</translation>
    </message>
    <message>
        <source>Source: {source}</source>
        <translation>Fuente: {source}</translation>
    </message>
</context>
<context>
    <name>dataset_saver</name>
    <message>
        <source>“{label}” cannot be a class folder name; use letters, digits, - or _</source>
        <translation>«{label}» no puede ser el nombre de la carpeta de una clase; usa letras, dígitos, - o _</translation>
    </message>
</context>
<context>
    <name>forms_column</name>
    <message>
        <source>1 · Data</source>
        <translation>1 · Datos</translation>
    </message>
    <message>
        <source>&amp;New dataset…</source>
        <translation>&amp;Nuevo conjunto de datos…</translation>
    </message>
    <message>
        <source>Create a dataset here: name classes and add pictures to each</source>
        <translation>Crea aquí un conjunto de datos: nombra las clases y añade imágenes a cada una</translation>
    </message>
    <message>
        <source>New dataset…</source>
        <translation>Nuevo conjunto de datos…</translation>
    </message>
    <message>
        <source>2 · Model</source>
        <translation>2 · Modelo</translation>
    </message>
</context>
<context>
    <name>kfold_view</name>
    <message>
        <source>fold {n}</source>
        <translation>pliegue {n}</translation>
    </message>
</context>
<context>
    <name>language</name>
    <message>
        <source>{names} and {last}</source>
        <translation>{names} y {last}</translation>
    </message>
</context>
<context>
    <name>layer_tree</name>
    <message>
        <source>This model has no parameters</source>
        <translation>Este modelo no tiene parámetros</translation>
    </message>
    <message>
        <source>Trainable {trainable} of {total} parameters ({share})</source>
        <translation>Entrenables {trainable} de {total} parámetros ({share})</translation>
    </message>
</context>
<context>
    <name>model_export</name>
    <message>
        <source>Exporting to {file} and checking it with onnxruntime…</source>
        <translation>Exportando a {file} y comprobándolo con onnxruntime…</translation>
    </message>
</context>
<context>
    <name>next_step</name>
    <message>
        <source> Test accuracy {accuracy}.</source>
        <translation> Exactitud de prueba {accuracy}.</translation>
    </message>
    <message>
        <source>The run ended early.{score} Next: 5 · Evaluate its mistakes, or 7 · Try it.</source>
        <translation>La ejecución terminó antes de tiempo.{score} Siguiente: 5 · Evalúa sus errores, o 7 · Pruébalo.</translation>
    </message>
    <message>
        <source>Training finished.{score} Next: 5 · Evaluate its mistakes, or 7 · Try it on your own images.</source>
        <translation>Entrenamiento terminado.{score} Siguiente: 5 · Evalúa sus errores, o 7 · Pruébalo con tus propias imágenes.</translation>
    </message>
</context>
<context>
    <name>prediction_view</name>
    <message>
        <source>{size} colour</source>
        <translation>{size} en color</translation>
    </message>
    <message>
        <source>What the model sees: {size}, ink bright on black, the digit scaled into a 20×20 box and centred by its mass, as MNIST was made.</source>
        <translation>Lo que ve el modelo: {size}, tinta clara sobre negro, el dígito escalado a una caja de 20×20 y centrado por su masa, como se hizo MNIST.</translation>
    </message>
    <message>
        <source>What the model sees: the image resized to {size}, as in training.</source>
        <translation>Lo que ve el modelo: la imagen redimensionada a {size}, como en el entrenamiento.</translation>
    </message>
</context>
<context>
    <name>run_lines</name>
    <message>
        <source>Fold {fold} · </source>
        <translation>Pliegue {fold} · </translation>
    </message>
    <message>
        <source>Epoch {epoch}/{epochs}: train loss {train_loss}, accuracy {train_acc} · validation loss {val_loss}, accuracy {val_acc} · {took}</source>
        <translation>Época {epoch}/{epochs}: pérdida de entrenamiento {train_loss}, exactitud {train_acc} · pérdida de validación {val_loss}, exactitud {val_acc} · {took}</translation>
    </message>
    <message>
        <source>Fold {fold}/{folds} · </source>
        <translation>Pliegue {fold}/{folds} · </translation>
    </message>
    <message>
        <source> · {time} left</source>
        <translation> · quedan {time}</translation>
    </message>
    <message>
        <source> · stopping…</source>
        <translation> · deteniendo…</translation>
    </message>
    <message>
        <source>Epoch {epoch}/{epochs} · batch {batch}/{batches}</source>
        <translation>Época {epoch}/{epochs} · lote {batch}/{batches}</translation>
    </message>
    <message>
        <source> and {count} more</source>
        <translation> y {count} más</translation>
    </message>
    <message>
        <source>Phase {phase} from epoch {epoch}: unfroze {layers}</source>
        <translation>Fase {phase} desde la época {epoch}: descongeladas {layers}</translation>
    </message>
    <message>
        <source>all layers</source>
        <translation>todas las capas</translation>
    </message>
    <message>
        <source>Fold {fold}/{folds} done: validation loss {val_loss}, accuracy {val_acc}</source>
        <translation>Pliegue {fold}/{folds} terminado: pérdida de validación {val_loss}, exactitud {val_acc}</translation>
    </message>
</context>
<context>
    <name>runs_library</name>
    <message>
        <source>Delete runs</source>
        <translation>Borrar ejecuciones</translation>
    </message>
    <message>
        <source>Delete</source>
        <translation>Borrar</translation>
    </message>
</context>
<context>
    <name>runs_table</name>
    <message>
        <source>Run {number} · {model} on {dataset}</source>
        <translation>Ejecución {number} · {model} con {dataset}</translation>
    </message>
    <message>
        <source> ({k}-fold)</source>
        <translation> (K-Fold, {k} pliegues)</translation>
    </message>
    <message>
        <source>from {file}</source>
        <translation>desde {file}</translation>
    </message>
    <message>
        <source>random</source>
        <translation>aleatorio</translation>
    </message>
    <message>
        <source>{start}, {n} frozen</source>
        <translation>{start}, {n} congeladas</translation>
    </message>
    <message>
        <source>{epochs} × {k} folds</source>
        <translation>{epochs} × {k} pliegues</translation>
    </message>
    <message>
        <source>no epoch finished</source>
        <translation>ninguna época terminada</translation>
    </message>
</context>
<context>
    <name>starting_point</name>
    <message>
        <source>{n} classes ({names})</source>
        <translation>{n} clases ({names})</translation>
    </message>
    <message>
        <source>trained on {dataset}</source>
        <translation>entrenado con {dataset}</translation>
    </message>
    <message>
        <source>input {size}</source>
        <translation>entrada {size}</translation>
    </message>
    <message>
        <source>{model} has no ImageNet weights; only {models} do</source>
        <translation>{model} no tiene pesos de ImageNet; solo los tienen {models}</translation>
    </message>
    <message>
        <source>{model} starts from ImageNet weights found at {path}</source>
        <translation>{model} parte de los pesos de ImageNet encontrados en {path}</translation>
    </message>
    <message>
        <source>ImageNet weights for {model} are not on this machine: {path} is missing. Import a copy with `python main.py import-weights {arch} FILE`.</source>
        <translation>Los pesos de ImageNet de {model} no están en este equipo: falta {path}. Importa una copia con `python main.py import-weights {arch} ARCHIVO`.</translation>
    </message>
</context>
<context>
    <name>theme</name>
    <message>
        <source>System</source>
        <translation>Sistema</translation>
    </message>
    <message>
        <source>Light</source>
        <translation>Claro</translation>
    </message>
    <message>
        <source>Dark</source>
        <translation>Oscuro</translation>
    </message>
</context>
<context>
    <name>window_help</name>
    <message>
        <source>Train with the settings shown</source>
        <translation>Entrenar con los ajustes mostrados</translation>
    </message>
    <message>
        <source>Stop the run (after the current batch)</source>
        <translation>Detener la ejecución (tras el lote actual)</translation>
    </message>
    <message>
        <source>New dataset… (gather images per class)</source>
        <translation>Nuevo conjunto de datos… (reunir imágenes por clase)</translation>
    </message>
    <message>
        <source>Open a saved model</source>
        <translation>Abrir un modelo guardado</translation>
    </message>
    <message>
        <source>Save the current model</source>
        <translation>Guardar el modelo actual</translation>
    </message>
    <message>
        <source>Go to the forms: 1 · Data, 2 · Model</source>
        <translation>Ir a los formularios: 1 · Datos, 2 · Modelo</translation>
    </message>
    <message>
        <source>Go to a tab: 3 · Train, 4 · Layers, 5 · Evaluate, 6 · Runs, 7 · Try it, 8 · Compare</source>
        <translation>Ir a una pestaña: 3 · Entrenar, 4 · Capas, 5 · Evaluar, 6 · Ejecuciones, 7 · Pruébalo, 8 · Comparar</translation>
    </message>
    <message>
        <source>This list</source>
        <translation>Esta lista</translation>
    </message>
    <message>
        <source>Quit</source>
        <translation>Salir</translation>
    </message>
    <message>
        <source>development copy</source>
        <translation>copia de desarrollo</translation>
    </message>
    <message>
        <source>Train image classifiers on your own computer, offline: gather or choose images, train, evaluate and try the model.</source>
        <translation>Entrena clasificadores de imágenes en tu propio ordenador, sin conexión: reúne o elige imágenes, entrena, evalúa y prueba el modelo.</translation>
    </message>
    <message>
        <source>About Taller</source>
        <translation>Acerca de Taller</translation>
    </message>
    <message>
        <source>Keyboard shortcuts</source>
        <translation>Atajos de teclado</translation>
    </message>
</context>
<context>
    <name>window_loading</name>
    <message>
        <source>&lt;h2&gt;Taller&lt;/h2&gt;&lt;p&gt;Loading PyTorch…&lt;/p&gt;&lt;p&gt;Then: 1 Data · 2 Model · 3 Train · 4 Evaluate · 5 Try it&lt;/p&gt;</source>
        <translation>&lt;h2&gt;Taller&lt;/h2&gt;&lt;p&gt;Cargando PyTorch…&lt;/p&gt;&lt;p&gt;Después: 1 Datos · 2 Modelo · 3 Entrenar · 4 Evaluar · 5 Pruébalo&lt;/p&gt;</translation>
    </message>
    <message>
        <source>Taller could not load PyTorch:</source>
        <translation>Taller no pudo cargar PyTorch:</translation>
    </message>
</context>
<context>
    <name>window_menus</name>
    <message>
        <source>Quit Taller</source>
        <translation>Salir de Taller</translation>
    </message>
    <message>
        <source>Quit</source>
        <translation>Salir</translation>
    </message>
    <message>
        <source>A model is training. Stop it and quit?</source>
        <translation>Se está entrenando un modelo. ¿Detenerlo y salir?</translation>
    </message>
    <message>
        <source>A comparison is running. Stop it and quit? Its finished runs are kept, and Resume on the Compare tab continues it (the Runs tab lists it).</source>
        <translation>Hay una comparación en curso. ¿Detenerla y salir? Sus ejecuciones terminadas se conservan, y Reanudar en la pestaña Comparar la continúa (la pestaña Ejecuciones la lista).</translation>
    </message>
    <message>
        <source>The model you trained could not be saved in its run folder. Quit without saving it?</source>
        <translation>El modelo que entrenaste no se pudo guardar en su carpeta de ejecución. ¿Salir sin guardarlo?</translation>
    </message>
    <message>
        <source>A comparison is running on the Compare tab; train when it ends, or stop it there first.</source>
        <translation>Hay una comparación en curso en la pestaña Comparar; entrena cuando termine, o detenla allí primero.</translation>
    </message>
    <message>
        <source>&amp;File</source>
        <translation>&amp;Archivo</translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation>&amp;Salir</translation>
    </message>
    <message>
        <source>&amp;View</source>
        <translation>&amp;Ver</translation>
    </message>
    <message>
        <source>&amp;Theme</source>
        <translation>&amp;Tema</translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation>A&amp;yuda</translation>
    </message>
    <message>
        <source>&amp;Keyboard shortcuts</source>
        <translation>&amp;Atajos de teclado</translation>
    </message>
    <message>
        <source>&amp;README</source>
        <translation>&amp;README</translation>
    </message>
    <message>
        <source>&amp;About Taller</source>
        <translation>A&amp;cerca de Taller</translation>
    </message>
    <message>
        <source>&amp;Language</source>
        <translation>&amp;Idioma</translation>
    </message>
    <message>
        <source>System ({language})</source>
        <translation>Sistema ({language})</translation>
    </message>
    <message>
        <source>Train</source>
        <translation>Entrenar</translation>
    </message>
    <message>
        <source>Stop</source>
        <translation>Detener</translation>
    </message>
    <message>
        <source>&amp;Go to</source>
        <translation>&amp;Ir a</translation>
    </message>
    <message>
        <source>Taller speaks {language} as soon as the work going on ends.</source>
        <translation>Taller hablará {language} en cuanto termine el trabajo en curso.</translation>
    </message>
    <message>
        <source>Taller speaks {language} now.</source>
        <translation>Taller habla {language} desde ahora.</translation>
    </message>
</context>
<context>
    <name>window_wiring</name>
    <message>
        <source>A model is training on the Train tab; start the comparison when it ends.</source>
        <translation>Se está entrenando un modelo en la pestaña Entrenar; empieza la comparación cuando termine.</translation>
    </message>
</context>
</TS>
