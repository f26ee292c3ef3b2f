<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en">
<context>
    <name>ComparePanel</name>
    <message numerus="yes">
        <source>%n run(s) done in {time}</source>
        <translation>
            <numerusform>%n run done in {time}</numerusform>
            <numerusform>%n runs done in {time}</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>{done} of %n run(s) done; Resume continues the others</source>
        <translation>
            <numerusform>{done} of %n run done; Resume continues the others</numerusform>
            <numerusform>{done} of %n runs done; Resume continues the others</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>ConfusionMatrixView</name>
    <message numerus="yes">
        <source>true {true} → predicted {predicted}: %n image(s){share}</source>
        <translation>
            <numerusform>true {true} → predicted {predicted}: %n image{share}</numerusform>
            <numerusform>true {true} → predicted {predicted}: %n images{share}</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>DataPanel</name>
    <message numerus="yes">
        <source>{dataset}: %n image(s), {classes} classes</source>
        <translation>
            <numerusform>{dataset}: %n image, {classes} classes</numerusform>
            <numerusform>{dataset}: %n images, {classes} classes</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>DatasetSaver</name>
    <message numerus="yes">
        <source>Saved as “{label}”. {folder} now holds %n drawing(s) ({counts}). Train on it by choosing this image folder as the data.</source>
        <translation>
            <numerusform>Saved as “{label}”. {folder} now holds %n drawing ({counts}). Train on it by choosing this image folder as the data.</numerusform>
            <numerusform>Saved as “{label}”. {folder} now holds %n drawings ({counts}). Train on it by choosing this image folder as the data.</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>EvaluationPanel</name>
    <message numerus="yes">
        <source>Test accuracy {accuracy} · macro F1 {f1} · %n image(s)</source>
        <translation>
            <numerusform>Test accuracy {accuracy} · macro F1 {f1} · %n image</numerusform>
            <numerusform>Test accuracy {accuracy} · macro F1 {f1} · %n images</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>EvaluationResults</name>
    <message numerus="yes">
        <source>%n test image(s): {title}{more}, lowest probability of the true class first.</source>
        <translation>
            <numerusform>%n test image: {title}{more}, lowest probability of the true class first.</numerusform>
            <numerusform>%n test images: {title}{more}, lowest probability of the true class first.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n image(s): {title}</source>
        <translation>
            <numerusform>%n image: {title}</numerusform>
            <numerusform>%n images: {title}</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>{true} → {predicted}: %n image(s)</source>
        <translation>
            <numerusform>{true} → {predicted}: %n image</numerusform>
            <numerusform>{true} → {predicted}: %n images</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n misclassified test image(s){more}, sorted by loss (how little probability the true class got), highest first: often mislabelled or truly ambiguous. p is the probability of the wrong answer.</source>
        <translation>
            <numerusform>%n misclassified test image{more}, sorted by loss (how little probability the true class got), highest first: often mislabelled or truly ambiguous. p is the probability of the wrong answer.</numerusform>
            <numerusform>%n misclassified test images{more}, sorted by loss (how little probability the true class got), highest first: often mislabelled or truly ambiguous. p is the probability of the wrong answer.</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>FilterHistoryView</name>
    <message numerus="yes">
        <source>First-layer filters of {layer}: %n filter(s) of {h}×{w}</source>
        <translation>
            <numerusform>First-layer filters of {layer}: %n filter of {h}×{w}</numerusform>
            <numerusform>First-layer filters of {layer}: %n filters of {h}×{w}</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>GatherDialog</name>
    <message numerus="yes">
        <source>{name}: %n image(s)</source>
        <translation>
            <numerusform>{name}: %n image</numerusform>
            <numerusform>{name}: %n images</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>InsideDetail</name>
    <message numerus="yes">
        <source>Its %n filter(s) of {h}×{w}: light weights add, dark ones subtract, grey is zero.</source>
        <translation>
            <numerusform>Its %n filter of {h}×{w}: light weights add, dark ones subtract, grey is zero.</numerusform>
            <numerusform>Its %n filters of {h}×{w}: light weights add, dark ones subtract, grey is zero.</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>InsideView</name>
    <message numerus="yes">
        <source>%n map(s)</source>
        <translation>
            <numerusform>%n map</numerusform>
            <numerusform>%n maps</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n unit(s)</source>
        <translation>
            <numerusform>%n unit</numerusform>
            <numerusform>%n units</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Shown: its %n most active map(s), brightest where it fires most.</source>
        <translation>
            <numerusform>Shown: its %n most active map, brightest where it fires most.</numerusform>
            <numerusform>Shown: its %n most active maps, brightest where it fires most.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n more not shown.</source>
        <translation>
            <numerusform>%n more not shown.</numerusform>
            <numerusform>%n more not shown.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Shown: its %n strongest units, in order.</source>
        <translation>
            <numerusform>Shown: its %n strongest units, in order.</numerusform>
            <numerusform>Shown: its %n strongest units, in order.</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>PlanDialog</name>
    <message numerus="yes">
        <source>Each variant changes one thing of the run the forms describe: {model} on {dataset}, %n epoch(s), learning rate {lr}, batch size {batch}.</source>
        <translation>
            <numerusform>Each variant changes one thing of the run the forms describe: {model} on {dataset}, %n epoch, learning rate {lr}, batch size {batch}.</numerusform>
            <numerusform>Each variant changes one thing of the run the forms describe: {model} on {dataset}, %n epochs, learning rate {lr}, batch size {batch}.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n run(s), about {time} in all.</source>
        <translation>
            <numerusform>%n run, about {time} in all.</numerusform>
            <numerusform>%n runs, about {time} in all.</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>ProcessRun</name>
    <message numerus="yes">
        <source>Running on %n process(es) in {folder}</source>
        <translation>
            <numerusform>Running on %n process in {folder}</numerusform>
            <numerusform>Running on %n processes in {folder}</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>RunsLibraryBar</name>
    <message numerus="yes">
        <source>Runs: %n saved run(s) found on disk</source>
        <translation>
            <numerusform>Runs: %n saved run found on disk</numerusform>
            <numerusform>Runs: %n saved runs found on disk</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Delete %n run folder(s) from disk: {names}?
Their models and files cannot be recovered.</source>
        <translation>
            <numerusform>Delete %n run folder from disk: {names}?
Their models and files cannot be recovered.</numerusform>
            <numerusform>Delete %n run folders from disk: {names}?
Their models and files cannot be recovered.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Deleted %n run folder(s)</source>
        <translation>
            <numerusform>Deleted %n run folder</numerusform>
            <numerusform>Deleted %n run folders</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>RunsPanel</name>
    <message numerus="yes">
        <source>Added %n saved run(s) to the comparison</source>
        <translation>
            <numerusform>Added %n saved run to the comparison</numerusform>
            <numerusform>Added %n saved runs to the comparison</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>TrainingPanel</name>
    <message numerus="yes">
        <source>Training {model} on {dataset}: %n epoch(s), batch size {batch}, {optimizer} at learning rate {lr}</source>
        <translation>
            <numerusform>Training {model} on {dataset}: %n epoch, batch size {batch}, {optimizer} at learning rate {lr}</numerusform>
            <numerusform>Training {model} on {dataset}: %n epochs, batch size {batch}, {optimizer} at learning rate {lr}</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Ended after %n good epoch(s) ({took}){test}</source>
        <translation>
            <numerusform>Ended after %n good epoch ({took}){test}</numerusform>
            <numerusform>Ended after %n good epochs ({took}){test}</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Stopped after %n epoch(s) ({took}){test}</source>
        <translation>
            <numerusform>Stopped after %n epoch ({took}){test}</numerusform>
            <numerusform>Stopped after %n epochs ({took}){test}</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>WebcamDialog</name>
    <message numerus="yes">
        <source>%n picture(s) taken</source>
        <translation>
            <numerusform>%n picture taken</numerusform>
            <numerusform>%n pictures taken</numerusform>
        </translation>
    </message>
</context>
</TS>
